using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// bench/run.sh: every workload of Wharf's performance targets, against Wharf (token authentication on, as it
/// ships, with real tokens from its token endpoint) and distribution 2.8 (open) side by side on loopback, both on the
/// filesystem with deletes enabled, with nginx beside them for what this machine can do; one table at the end.
/// </summary>
public static class HotPathBenchmark
{
    /// <param name="only">Step names to run (tokens, listings, manifests, pushes, get, pulls, skopeo, populate); null runs all. A partial run is for working on one path: its table is not a result.</param>
    public static async Task<int> RunAsync(BenchSizes sizes, string? resultsFile, IReadOnlySet<string>? only = null)
    {
        bool Runs(string step) => only is null || only.Contains(step);
        var started = DateTime.UtcNow;
        using var temp = new TempDirectory("wharf-bench");
        Console.WriteLine($"Wharf against distribution 2.8 ({(sizes.Smoke ? "smoke: tiny sizes, figures mean nothing" : "full sizes")}), working in {temp.Path}");
        var machine = await MachineInfo.DescribeAsync(temp.Path, sizes.DiskProbe);
        Console.Write(machine);

        var clock = Stopwatch.StartNew();
        var seed = temp.Combine("seed");
        // The listings, manifests and tokens read the seeded repositories; a run of other steps seeds one, which takes
        // seconds instead of minutes.
        var seedsAll = Runs("tokens") || Runs("listings") || Runs("manifests");
        var repositories = seedsAll ? sizes.CatalogRepositories : 1;
        var seeded = new ListingData(seed, repositories, seedsAll ? sizes.ListedTags : 1).Generate();
        var wharfRoot = temp.Combine("wharf");
        var referenceRoot = temp.Combine("distribution");
        foreach (var target in new[] { wharfRoot, referenceRoot }) await RunOkAsync("cp", ["-a", seed, target], TimeSpan.FromMinutes(10));
        var import = await ImportAsync(temp, wharfRoot);
        Console.WriteLine($"seeded {repositories:N0} repositories in distribution's layout; Wharf imported them in {import.TotalSeconds:0.0} s (once, before start); {clock.Elapsed.TotalSeconds:0} s");

        await using var nginx = await NginxServer.StartAsync(temp.Combine("nginx"));
        var (wharfProcess, wharf) = await StartWharfAsync(wharfRoot, new Dictionary<string, string>());
        await using var _ = wharfProcess;
        using var __ = wharf;
        await using var distribution = await DistributionRegistry.StartAsync(referenceRoot, temp.Path, quiet: true);
        using var reference = new Registry("distribution", distribution.HostPort, distribution.Pid, null);

        var table = new ResultTable();
        var run = new BenchRun(sizes, temp, wharf, reference, nginx, seeded, table);

        // Idle: started, nothing asked yet but the readiness probe.
        await Task.Delay(TimeSpan.FromSeconds(sizes.Smoke ? 1 : 5));
        table.Add(new Row("idle RSS after start", "MiB", ProcessStats.Rss(wharf.Pid) / 1048576.0, ProcessStats.Rss(reference.Pid) / 1048576.0, null, Target.AtMost(150, "MiB"),
            $"after start and {(sizes.Smoke ? 1 : 5)} s idle, over {repositories:N0} imported repositories"));

        if (Runs("tokens")) await Step("token endpoint", () => ApiWorkloads.TokensAsync(run));
        if (Runs("listings")) await Step("listings", () => ApiWorkloads.ListingsAsync(run));
        if (Runs("manifests")) await Step("manifests and blob HEAD", () => ApiWorkloads.ManifestsAndHeadsAsync(run));
        // The large GET reads the blob the pushes wrote, so asking for it runs the pushes too.
        if (Runs("pushes") || Runs("get"))
        {
            var pushed = await Step("pushes", () => TransferWorkloads.PushesAsync(run));
            if (Runs("get")) await Step("large GET", () => TransferWorkloads.LargeGetAsync(run, pushed.File, pushed.Digest));
        }
        if (Runs("pulls")) await Step("concurrent pulls", () => TransferWorkloads.ConcurrentPullsAsync(run));
        if (Runs("skopeo")) await Step("skopeo", () => TransferWorkloads.SkopeoAsync(run));
        if (Runs("populate")) await Step("populate", () => PopulateWorkloads.RunAsync(run, (name, environment) => StartWharfAsync(temp.Combine(name), environment)));

        var markdown = table.ToMarkdown();
        var loadAtEnd = MachineInfo.LoadAverage();
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"load average at the end: {loadAtEnd}; {table.Rows.Count(r => !r.Passed && !r.Target.Informational)} of {table.Rows.Count} rows miss their target");
        if (resultsFile is not null && only is null) await WriteResultsAsync(resultsFile, started, sizes, machine, loadAtEnd, markdown);
        return 0;
    }

    private static async Task Step(string name, Func<Task> step)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {name} (load {MachineInfo.LoadAverage()})");
        await step();
    }

    private static async Task<T> Step<T>(string name, Func<Task<T>> step)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {name} (load {MachineInfo.LoadAverage()})");
        return await step();
    }

    /// <summary>Starts Wharf from the published build, with its shipped runtime settings (the end-to-end fixture pins workstation GC).</summary>
    private static async Task<(WharfProcess, Registry)> StartWharfAsync(string root, IDictionary<string, string> environment)
    {
        var settings = new Dictionary<string, string>(environment)
        {
            ["DOTNET_gcServer"] = ShippedServerGc() ? "1" : "0",
            // The reference runs with its access log off (DistributionRegistry's quiet mode): so does Wharf.
            ["REGISTRY_LOG_ACCESSLOG_DISABLED"] = "true",
        };
        var process = await WharfProcess.StartAsync(root, settings);
        return (process, new Registry("wharf", process.HostPort, process.Pid, (process.AdminUser, process.AdminPassword)));
    }

    private static bool ShippedServerGc()
    {
        var config = Path.ChangeExtension(RepositoryRoot.WharfDll(), ".runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        return json.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties)
            && properties.TryGetProperty("System.GC.Server", out var server) && server.GetBoolean();
    }

    /// <summary>Wharf's own import command over the seeded directory, so the server starts on an imported database.</summary>
    private static async Task<TimeSpan> ImportAsync(TempDirectory temp, string root)
    {
        var config = temp.Combine("wharf-import.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {root}
            """);
        var clock = Stopwatch.StartNew();
        await RunOkAsync("dotnet", [RepositoryRoot.WharfDll(), "import", config], TimeSpan.FromMinutes(20));
        return clock.Elapsed;
    }

    private static async Task RunOkAsync(string tool, string[] arguments, TimeSpan timeout)
    {
        var result = await ExternalTool.RunAsync(tool, arguments, timeout);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.All}");
    }

    private static async Task WriteResultsAsync(string path, DateTime started, BenchSizes sizes, string machine, string loadAtEnd, string markdown)
    {
        var commit = (await ExternalTool.RunAsync("git", ["-C", RepositoryRoot.Find(), "rev-parse", "--short", "HEAD"])).Output.Trim();
        var text = new StringBuilder();
        text.AppendLine($"# Benchmark {started:yyyy-MM-dd HH:mm} UTC{(sizes.Smoke ? " (smoke)" : "")}");
        text.AppendLine();
        text.AppendLine($"`bench/run.sh{(sizes.Smoke ? " --smoke" : "")}` at commit `{commit}`: Wharf (token authentication, a bearer token from its token endpoint) against distribution 2.8 (Debian's docker-registry, open), both on the filesystem with deletes enabled, on loopback, in the same run; nginx for this machine's limits.");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.Append(machine);
        text.AppendLine($"- load average at the end: {loadAtEnd}");
        text.AppendLine();
        text.AppendLine("## Results");
        text.AppendLine();
        text.Append(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, text.ToString());
        Console.WriteLine($"results written to {path}");
    }
}
