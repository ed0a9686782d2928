using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// The garbage-collect command's start: a collect with nothing to delete on a small registry:2 directory (10
/// manifests), Wharf's command against distribution's, each on its own copy, runs interleaved. Reports the median
/// time to the first line on standard output and to the process's end, and the ratios. Both copies are collected
/// once first (untimed), so every timed run is a no-op; Wharf's copy is imported by its first run.
/// </summary>
public static class GcStartBenchmark
{
    private const int Runs = 7;

    public sealed record Row(string Name, double Wharf, double Distribution);

    public static async Task<IReadOnlyList<Row>> RunAsync(string temp, Func<string, string, string> writeConfig, IReadOnlyDictionary<string, string> environment)
    {
        var data = Path.Combine(temp, "start-data");
        new DistributionDataGenerator(data, manifests: 10, blobs: 50, repositories: 2).Generate();
        var wharfConfig = writeConfig(Path.Combine(temp, "start-wharf.yml"), Copy(data, Path.Combine(temp, "start-wharf")));
        var distributionConfig = writeConfig(Path.Combine(temp, "start-distribution.yml"), Copy(data, Path.Combine(temp, "start-distribution")));
        string[] wharf = ["dotnet", RepositoryRoot.WharfDll(), "garbage-collect", wharfConfig];
        string[] distribution = [ExternalTool.Require("docker-registry"), "garbage-collect", distributionConfig];
        await TimeAsync(wharf, environment);
        await TimeAsync(distribution, environment);

        var (wharfFirst, wharfTotal, distributionFirst, distributionTotal) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < Runs; i++)
        {
            var w = await TimeAsync(wharf, environment);
            var d = await TimeAsync(distribution, environment);
            wharfFirst.Add(w.FirstLine);
            wharfTotal.Add(w.Total);
            distributionFirst.Add(d.FirstLine);
            distributionTotal.Add(d.Total);
        }
        return
        [
            new($"no-op collect, first line (s, median of {Runs})", Median(wharfFirst), Median(distributionFirst)),
            new($"no-op collect, whole run (s, median of {Runs})", Median(wharfTotal), Median(distributionTotal)),
        ];
    }

    private static string Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return to;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Seconds from the process's start to its first line on standard output, and to its exit.</summary>
    private static async Task<(double FirstLine, double Total)> TimeAsync(string[] command, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        double? firstLine = null;
        while (await process.StandardOutput.ReadLineAsync() is not null) firstLine ??= clock.Elapsed.TotalSeconds;
        await process.WaitForExitAsync();
        var total = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} failed ({process.ExitCode}):\n{await error}");
        // A run that prints nothing on standard output has its first line at its end.
        return (firstLine ?? total, total);
    }
}
