using System.Globalization;
using System.Text;

namespace Wharf.Bench.HotPaths;

/// <summary>A target of the benchmark: its text for the table and the check of a row's figures against it.</summary>
public sealed record Target(string Text, Func<double, double?, double?, bool> Met, bool Informational = false)
{
    /// <summary>A figure shown for comparison, with no target of its own.</summary>
    public static readonly Target Info = new("(for comparison)", (_, _, _) => true, Informational: true);

    public static Target TimesReferenceAtLeast(double factor) => new($"≥ {factor:0.##}× reference", (w, r, _) => r is > 0 && w / r >= factor);
    public static Target TimesReferenceAtMost(double factor) => new($"≤ {factor:0.##}× reference", (w, r, _) => r is > 0 && w / r <= factor);
    public static Target AtMost(double limit, string unit) => new($"≤ {limit:0.##} {unit}", (w, _, _) => w <= limit);
    public static Target Below(double limit, string unit) => new($"< {limit:0.##} {unit}", (w, _, _) => w < limit);
    public static Target Exactly(double value) => new($"= {value:0.##}", (w, _, _) => w == value);

    /// <summary>Both targets must be met.</summary>
    public Target And(Target other) => new($"{Text} and {other.Text}", (w, r, n) => Met(w, r, n) && other.Met(w, r, n));

    public static Target TimesNginxAtLeast(double factor) => new($"≥ {factor:0.##}× nginx", (w, _, n) => n is > 0 && w / n >= factor);
}

/// <summary>One line of the table: a workload's figure for Wharf, the reference and nginx where it applies.</summary>
public sealed record Row(string Workload, string Unit, double Wharf, double? Reference, double? Nginx, Target Target, string? Note = null)
{
    public bool Passed => Target.Met(Wharf, Reference, Nginx);
}

/// <summary>The benchmark's one table (Markdown), printed and written to the results file.</summary>
public sealed class ResultTable
{
    private readonly List<Row> _rows = [];

    public IReadOnlyList<Row> Rows => _rows;

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine($"  {row.Workload}: wharf {Figure(row.Wharf)} {row.Unit}, reference {Figure(row.Reference)}, nginx {Figure(row.Nginx)} -> {Result(row)}");
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| workload | unit | Wharf | reference | Wharf/ref | nginx | Wharf/nginx | target | result |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---|");
        foreach (var row in _rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Workload} | {row.Unit} | {Figure(row.Wharf)} | {Figure(row.Reference)} | {Ratio(row.Wharf, row.Reference)} | {Figure(row.Nginx)} | {Ratio(row.Wharf, row.Nginx)} | {row.Target.Text} | {Result(row)} |");
        }
        var notes = _rows.Where(r => r.Note is not null).ToList();
        if (notes.Count > 0)
        {
            text.AppendLine();
            foreach (var row in notes) text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Workload}: {row.Note}");
        }
        return text.ToString();
    }

    private static string Result(Row row) => row.Target.Informational ? "info" : row.Passed ? "pass" : "**miss**";

    private static string Figure(double? value) => value switch
    {
        null => "–",
        double.NaN => "–",
        >= 100 => value.Value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private static string Ratio(double wharf, double? other) =>
        other is > 0 ? (wharf / other.Value).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
}
