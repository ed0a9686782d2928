using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// bench/run.sh in its smoke mode (tiny sizes), so that the benchmark cannot rot between runs: it must start every
/// server, run every workload against Wharf and the reference and print the whole table. Figures and pass/miss are
/// not checked: timing is the benchmark's business, not a test's.
/// </summary>
public sealed class BenchSmokeTests(ITestOutputHelper output)
{
    /// <summary>The start of every row's workload text, in the table's order.</summary>
    private static readonly string[] Rows =
    [
        "idle RSS after start",
        "token: login + ",
        "token: CPU per token request with a password",
        "_catalog of ",
        "tags/list of ",
        "  tags/list of ",
        "manifest GET by tag, wrk ",
        "  p99 latency of the manifest GET by tag",
        "manifest GET by digest, wrk ",
        "  p99 latency of the manifest GET by digest",
        "blob HEAD, ab ",
        "peak RSS under the manifest load",
        "blob push ",
        "blob push ",
        "blob GET ",
        "blob GET ",
        "  RSS growth during the ",
        "skopeo push + pull of a ",
        "populate: ",
        "  p99 of a manifest PUT during the populate",
        "  worst write latency during the populate",
        "populate while garbage collection runs every second: worst write latency",
    ];

    [Fact]
    public async Task The_smoke_run_prints_every_row_of_the_table()
    {
        var script = Path.Combine(RepositoryRoot.Find(), "bench", "run.sh");
        RepositoryRoot.WharfDll(); // the suite publishes Wharf first; the benchmark starts that build
        var result = await ExternalTool.RunAsync("bash", [script, "--smoke", "--no-build"], TimeSpan.FromMinutes(10));
        output.WriteLine(result.All);
        Assert.True(result.ExitCode == 0, $"bench/run.sh --smoke exited with {result.ExitCode}:\n{result.All}");

        var table = result.Output.Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| workload ", StringComparison.Ordinal))
            .Select(l => l[2..])
            .ToList();
        Assert.Equal(Rows.Length, table.Count);
        for (var i = 0; i < Rows.Length; i++)
        {
            Assert.StartsWith(Rows[i], table[i]);
            var cells = table[i].Split(" | ");
            Assert.True(cells.Length == 9, $"row {i} has {cells.Length} cells: {table[i]}");
            Assert.True(double.TryParse(cells[2], System.Globalization.CultureInfo.InvariantCulture, out _), $"row {i} has no figure for Wharf: {table[i]}");
            Assert.Contains(cells[8].Trim(' ', '|'), new[] { "pass", "**miss**", "info" });
        }
    }
}
