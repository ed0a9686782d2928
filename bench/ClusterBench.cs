using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Wharf.Bench.HotPaths;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// bench/cluster.sh: Wharf as a cluster (docs/cluster.md) on this machine. Blob pull throughput and manifest GETs
/// per second through nginx in front of one, two and three instances (of one cluster: one data directory, one
/// PostgreSQL database), against distribution 2.8 behind the same nginx; then the populate workload (many small
/// images, eight threads) on Wharf with SQLite, with PostgreSQL on one instance and through nginx on three (the
/// cluster's database, other repositories), and on distribution.
/// </summary>
public static class ClusterBench
{
    private sealed record Sizes(bool Smoke, long PullBlob, int PullConnections, TimeSpan Duration, int ManifestConnections,
        int PopulateRepositories, int PopulateTags, int PopulateThreads);

    private static readonly Sizes Full = new(false, 20L << 20, 32, TimeSpan.FromSeconds(10), 32, 400, 5, 8);
    private static readonly Sizes SmokeSizes = new(true, 256L << 10, 4, TimeSpan.FromSeconds(1), 4, 8, 1, 8); // one image per populate thread

    private const string Repository = "bench/cluster";

    /// <summary>No line per request: the reference runs with its access log off too.</summary>
    private static readonly Dictionary<string, string> Quiet = new() { ["REGISTRY_LOG_LEVEL"] = "warn" };

    public static async Task<int> RunAsync(bool smoke, string? resultsFile)
    {
        var s = smoke ? SmokeSizes : Full;
        var started = DateTime.UtcNow;
        using var temp = new TempDirectory("wharf-cluster-bench");
        Console.WriteLine($"Wharf as a cluster against distribution 2.8 ({(smoke ? "smoke: tiny sizes, figures mean nothing" : "full sizes")}), working in {temp.Path}");
        var machine = await MachineInfo.DescribeAsync(temp.Path, 1L << 20);
        Console.Write(machine);
        await using var postgreSql = await PrivatePostgreSql.StartAsync(temp.Combine("postgresql"));

        var table = new ResultTable();
        var blob = temp.Combine("pull.bin");
        var blobDigest = BenchRun.WriteRandomFile(blob, s.PullBlob, 4100);

        // The reference: one distribution behind the same nginx configuration (it cannot share a store safely with
        // a second instance while it collects garbage, and its cache cluster fetches a blob once per instance).
        (double Pull, double Manifests) reference;
        await using (var distribution = await DistributionRegistry.StartAsync(temp.Combine("distribution"), temp.Path, quiet: true))
        await using (var front = await ClusterFront.StartAsync(temp.Combine("distribution-front"), [distribution.HostPort]))
        using (var registry = new Registry("distribution", front.HostPort, distribution.Pid, null))
            reference = await PullAndManifestsAsync(s, registry, blob, blobDigest);

        // One cluster of three, and nginx in front of the first one, two and three of them in turn.
        await using (var cluster = await WharfCluster.StartAsync(3, Quiet))
        {
            for (var instances = 1; instances <= 3; instances++)
            {
                await Step($"{instances} instance(s) behind nginx");
                (double Pull, double Manifests) wharf;
                await using (var front = await ClusterFront.StartAsync(temp.Combine($"front-{instances}"), cluster.Instances.Take(instances).Select(i => i.HostPort)))
                using (var registry = new Registry("wharf", front.HostPort, cluster.Instances[0].Pid, (WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword)))
                    wharf = await PullAndManifestsAsync(s, registry, blob, blobDigest);
                table.Add(new Row($"blob GET {BenchSizes.Mib(s.PullBlob)}, {s.PullConnections} connections, {instances} instance(s) behind nginx", "MB/s",
                    wharf.Pull, reference.Pull, null, Target.Info, instances == 1 ? "reference: one distribution 2.8 behind the same nginx" : null));
                table.Add(new Row($"manifest GET by tag, {s.ManifestConnections} connections, {instances} instance(s) behind nginx", "req/s",
                    wharf.Manifests, reference.Manifests, null, Target.Info));
            }

            await Step("populate");
            var label = $"{s.PopulateRepositories:N0} repositories × {s.PopulateTags} tags, {s.PopulateThreads} threads";
            var distributionPopulate = await PopulateDistributionAsync(s, temp);
            await using (var sqlite = await WharfProcess.StartAsync(temp.Combine("populate-sqlite"), Quiet))
            using (var registry = new Registry("wharf", sqlite.HostPort, sqlite.Pid, (sqlite.AdminUser, sqlite.AdminPassword)))
                AddPopulate(table, $"populate on SQLite, one instance: {label}", await PopulateAsync(s, registry, "pop"), distributionPopulate);
            using (var registry = new Registry("wharf", cluster.Instances[0].HostPort, cluster.Instances[0].Pid, (WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword)))
                AddPopulate(table, $"populate on PostgreSQL, one instance: {label}", await PopulateAsync(s, registry, "pop1"), distributionPopulate);
            using (var registry = new Registry("wharf", cluster.Front.HostPort, cluster.Instances[0].Pid, (WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword)))
                AddPopulate(table, $"populate on PostgreSQL, three instances behind nginx: {label}", await PopulateAsync(s, registry, "pop3"), distributionPopulate);
        }

        var markdown = table.ToMarkdown();
        var load = MachineInfo.LoadAverage();
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"load average at the end: {load}");
        if (resultsFile is not null)
        {
            var text = new StringBuilder();
            text.AppendLine($"# Cluster benchmark {started:yyyy-MM-dd HH:mm} UTC{(smoke ? " (smoke)" : "")}");
            text.AppendLine();
            text.AppendLine("`bench/cluster.sh`: Wharf instances over one data directory and one PostgreSQL 15 database (a private cluster, fsync off) behind nginx (docs/cluster.md), token authentication on; distribution 2.8 (open) behind the same nginx; all on loopback, in the same run.");
            text.AppendLine();
            text.AppendLine("## Machine");
            text.Append(machine);
            text.AppendLine($"- load average at the end: {load}");
            text.AppendLine();
            text.AppendLine("## Results");
            text.AppendLine();
            text.Append(markdown);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(resultsFile))!);
            await File.WriteAllTextAsync(resultsFile, text.ToString());
            Console.WriteLine($"results written to {resultsFile}");
        }
        return 0;
    }

    private static Task Step(string name)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {name} (load {MachineInfo.LoadAverage()})");
        return Task.CompletedTask;
    }

    /// <summary>Pushes the blob and a manifest tagged "v1" that names it, then loads both with wrk.</summary>
    private static async Task<(double Pull, double Manifests)> PullAndManifestsAsync(Sizes s, Registry registry, string blob, string digest)
    {
        var authorization = await registry.AuthorizationAsync($"repository:{Repository}:pull,push");
        await Transfers.UploadAsync(registry, Repository, blob, digest, authorization);
        await PushManifestAsync(registry, authorization, digest, new FileInfo(blob).Length);
        var pull = await Wrk.RunAsync($"{registry.BaseUrl}/v2/{Repository}/blobs/{digest}", s.PullConnections, s.Duration, authorization: authorization);
        var manifests = await Wrk.RunAsync($"{registry.BaseUrl}/v2/{Repository}/manifests/v1", s.ManifestConnections, s.Duration,
            authorization: authorization, accept: BenchRun.ManifestAccept);
        foreach (var (what, result) in new[] { ("blob GET", pull), ("manifest GET", manifests) })
            if (result.Errors > 0) throw new InvalidOperationException($"{registry.Name} at {registry.HostPort}: {result.Errors} errors in {result.Requests} {what}s");
        return (pull.MegabytesPerSecond, manifests.RequestsPerSecond);
    }

    private static async Task PushManifestAsync(Registry registry, string? authorization, string layer, long size)
    {
        using var http = new HttpClient { BaseAddress = new Uri(registry.BaseUrl) };
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var configDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(config));
        // POST then PUT: distribution 2.8 answers a POST with ?digest= by opening an upload, not by taking the body.
        var configFile = Path.Combine(Path.GetTempPath(), $"wharf-bench-config-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(configFile, config);
        try
        {
            await Transfers.UploadAsync(registry, Repository, configFile, configDigest, authorization);
        }
        finally
        {
            File.Delete(configFile);
        }
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciLayout.ManifestType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = layer, ["size"] = size }),
        }.ToJsonString();
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/v2/{Repository}/manifests/v1") { Content = new StringContent(manifest) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestType);
        if (authorization is not null) put.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var answer = await http.SendAsync(put);
        if ((int)answer.StatusCode != 201) throw new InvalidOperationException($"{registry.Name}: manifest push answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
    }

    private static async Task<PopulateResult> PopulateAsync(Sizes s, Registry registry, string prefix)
    {
        var result = await Populate.RunAsync(registry, prefix, s.PopulateRepositories, s.PopulateTags, s.PopulateThreads);
        if (result.Failures > 0) throw new InvalidOperationException($"populate on {registry.Name} at {registry.HostPort}: {result.Failures} failures, first: {result.FirstFailure}");
        return result;
    }

    private static async Task<PopulateResult> PopulateDistributionAsync(Sizes s, TempDirectory temp)
    {
        await using var distribution = await DistributionRegistry.StartAsync(temp.Combine("distribution-populate"), temp.Path, quiet: true);
        using var open = new Registry("distribution", distribution.HostPort, distribution.Pid, null);
        return await PopulateAsync(s, open, "pop");
    }

    private static void AddPopulate(ResultTable table, string label, PopulateResult wharf, PopulateResult reference) =>
        table.Add(new Row(label, "s", wharf.Elapsed.TotalSeconds, reference.Elapsed.TotalSeconds, null, Target.Info,
            $"{wharf.Images:N0} images; manifest PUT p99 {wharf.ManifestPutP99Ms:0.0} ms (reference {reference.ManifestPutP99Ms:0.0} ms)"));

    /// <summary>The PostgreSQL of WHARF_TEST_POSTGRESQL, or a private one started with scripts/postgresql-test-cluster.sh.</summary>
    private sealed class PrivatePostgreSql : IAsyncDisposable
    {
        private string? _directory;

        public static async Task<PrivatePostgreSql> StartAsync(string directory)
        {
            var cluster = new PrivatePostgreSql();
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("WHARF_TEST_POSTGRESQL"))) return cluster;
            Directory.CreateDirectory(directory);
            var script = Path.Combine(RepositoryRoot.Find(), "scripts", "postgresql-test-cluster.sh");
            var start = await ExternalTool.RunAsync("bash", [script, "start", directory], TimeSpan.FromMinutes(2));
            if (start.ExitCode != 0) throw new InvalidOperationException($"could not start PostgreSQL: {start.All}");
            cluster._directory = directory;
            Environment.SetEnvironmentVariable("WHARF_TEST_POSTGRESQL", start.Output.Trim());
            return cluster;
        }

        public async ValueTask DisposeAsync()
        {
            if (_directory is null) return;
            Npgsql.NpgsqlConnection.ClearAllPools();
            var script = Path.Combine(RepositoryRoot.Find(), "scripts", "postgresql-test-cluster.sh");
            await ExternalTool.RunAsync("bash", [script, "stop", _directory], TimeSpan.FromMinutes(1));
        }
    }
}
