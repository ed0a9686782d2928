using System.Diagnostics;
using System.Text.RegularExpressions;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// Garbage collection time, Wharf against distribution 2.8, on the same generated data: a registry:2 directory of
/// 10,000 manifests and 50,000 blobs by default. Both run their own command line on their own copy; Wharf imports the
/// directory first (timed apart, it happens once). First, the command's start on a small directory
/// (<see cref="GcStartBenchmark"/>). Prints both times and the ratio.
/// </summary>
public static partial class GcBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var manifests = args.Length > 0 ? int.Parse(args[0]) : 10_000;
        var blobs = args.Length > 1 ? int.Parse(args[1]) : 50_000;
        using var temp = new TempDirectory("wharf-gc-bench");
        var data = temp.Combine("data");
        var start = await GcStartBenchmark.RunAsync(temp.Path, WriteConfig, NoGracePeriod);

        var clock = Stopwatch.StartNew();
        var summary = new DistributionDataGenerator(data, manifests, blobs, repositories: 100).Generate();
        Console.WriteLine($"generated {summary.Manifests} manifests ({summary.Tagged} tagged, {summary.Untagged} untagged, {summary.Deleted} deleted) " +
                          $"and {summary.Blobs} blobs in distribution's layout in {clock.Elapsed.TotalSeconds:F1} s");

        var wharfRoot = temp.Combine("wharf");
        var distributionRoot = temp.Combine("distribution");
        foreach (var target in new[] { wharfRoot, distributionRoot }) await RunOkAsync("cp", "-a", data, target);
        var wharfConfig = WriteConfig(temp.Combine("wharf.yml"), wharfRoot);
        var distributionConfig = WriteConfig(temp.Combine("distribution.yml"), distributionRoot);

        var wharf = RepositoryRoot.WharfDll();
        var import = await TimeAsync("dotnet", wharf, "import", wharfConfig);
        Console.WriteLine($"wharf import (once, on first start): {import.Seconds:F2} s — {import.Output.Trim().Split('\n').Last()}");

        var rows = start.Select(r => (r.Name, r.Wharf, r.Distribution, Note: "")).ToList();
        var wharfDry = await TimeAsync("dotnet", wharf, "garbage-collect", "--dry-run", wharfConfig);
        var distributionDry = await TimeAsync("docker-registry", "garbage-collect", "--dry-run", distributionConfig);
        var (wharfEligible, distributionEligible) = (Eligible(wharfDry.Output), Eligible(distributionDry.Output));
        rows.Add(("garbage-collect --dry-run (s)", wharfDry.Seconds, distributionDry.Seconds,
            wharfEligible.SetEquals(distributionEligible) ? $"both list the same {wharfEligible.Count} blobs" : $"DIFFERENT: wharf {wharfEligible.Count}, distribution {distributionEligible.Count}"));
        var wharfCollect = await TimeAsync("dotnet", wharf, "garbage-collect", wharfConfig);
        var distributionCollect = await TimeAsync("docker-registry", "garbage-collect", distributionConfig);
        rows.Add(("garbage-collect (s)", wharfCollect.Seconds, distributionCollect.Seconds, $"wharf: {wharfCollect.Output.Trim().Split('\n').Last()}"));
        // Wharf's own figure for the run, without the process start-up (.NET, host, database checks) around it.
        rows.Add(("  wharf run alone, dry run (s)", RunSeconds(wharfDry.Output), distributionDry.Seconds, "distribution: whole process"));
        rows.Add(("  wharf run alone, collect (s)", RunSeconds(wharfCollect.Output), distributionCollect.Seconds, "distribution: whole process"));

        Console.WriteLine();
        Console.WriteLine($"{"metric",-32} {"wharf",9} {"distribution",13} {"wharf/dist",11}");
        foreach (var (name, w, d, _) in rows) Console.WriteLine($"{name,-32} {w,9:F2} {d,13:F2} {w / d,11:F2}");
        foreach (var (name, _, _, note) in rows.Skip(start.Count).Take(2)) Console.WriteLine($"{name}: {note}");
        Console.WriteLine("(whole command-line processes, start-up included; lower is better. Wharf keeps serving during its run, distribution must be stopped.)");
        return wharfEligible.SetEquals(distributionEligible) ? 0 : 1;
    }

    /// <summary>The data was written a moment ago: without this Wharf's grace period (a day by default) would keep all of it.</summary>
    private static readonly IReadOnlyDictionary<string, string> NoGracePeriod = new Dictionary<string, string> { ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00" };

    private static string WriteConfig(string path, string root)
    {
        File.WriteAllText(path, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {root}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:0
            """);
        return path;
    }

    private static double RunSeconds(string output) => double.Parse(RunTime().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static HashSet<string> Eligible(string output) =>
        EligibleLine().Matches(output).Select(m => m.Groups[1].Value).ToHashSet();

    private static async Task<(double Seconds, string Output)> TimeAsync(string tool, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        var output = await RunOkAsync(tool, arguments);
        return (clock.Elapsed.TotalSeconds, output);
    }

    private static async Task<string> RunOkAsync(string tool, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(tool, arguments, TimeSpan.FromMinutes(30), NoGracePeriod.ToDictionary());
        if (result.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.All}");
        return result.Output;
    }

    [GeneratedRegex(@", in ([0-9.]+) s$", RegexOptions.Multiline)]
    private static partial Regex RunTime();

    [GeneratedRegex(@"^blob eligible for deletion: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex EligibleLine();
}
