using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// bench/profile.sh: one hot path under steady load on a Wharf of its own while dotnet-trace samples its threads,
/// then the methods that were on the stacks longest (inclusive) and Wharf's CPU time per request.
/// Workloads: manifest (GET by tag, with a bearer token), manifest-digest (the same by digest), tags (tags/list of
/// 5,000 tags, one page), head (blob HEAD), blob (20 MiB GETs), upload (monolithic
/// 64 MiB pushes), populate (small images, a token per repository), token (token requests with a password).
/// </summary>
public static class ProfileRun
{
    public static async Task<int> RunAsync(string workload, string traceTool, TimeSpan duration)
    {
        using var temp = new TempDirectory("wharf-profile");
        var seeded = new ListingData(temp.Combine("wharf"), 100, workload.StartsWith("tags", StringComparison.Ordinal) ? 5000 : 10).Generate();
        await using var process = await WharfProcess.StartAsync(temp.Combine("wharf"));
        using var wharf = new Registry("wharf", process.HostPort, process.Pid, (process.AdminUser, process.AdminPassword));
        var repository = ListingData.Repository(0);
        var authorization = await wharf.AuthorizationAsync(workload.StartsWith("tags", StringComparison.Ordinal) ? $"repository:{ListingData.TagsRepository}:pull" : $"repository:{repository}:pull,push");
        var blob = temp.Combine("blob.bin");
        var blobDigest = BenchRun.WriteRandomFile(blob, workload == "upload" ? 64L << 20 : 20L << 20, 5);
        if (workload == "blob") await Transfers.UploadAsync(wharf, repository, blob, blobDigest, authorization);

        if (workload == "tags-cold") return await ColdTagListsAsync(wharf, authorization);
        WrkResult? lastWrk = null;
        var populateRuns = 0;
        async Task<long> WrkAsync(string url, int connections, string? accept)
        {
            lastWrk = await Wrk.RunAsync(url, connections, duration, authorization: authorization, accept: accept);
            return lastWrk.Requests;
        }

        Func<Task<long>> load = workload switch
        {
            "manifest" => () => WrkAsync($"{wharf.BaseUrl}/v2/{repository}/manifests/v1", 32, BenchRun.ManifestAccept),
            "manifest-digest" => () => WrkAsync($"{wharf.BaseUrl}/v2/{repository}/manifests/{seeded.Manifest}", 32, BenchRun.ManifestAccept),
            "tags" => () => WrkAsync($"{wharf.BaseUrl}/v2/{ListingData.TagsRepository}/tags/list", 8, null),
            "head" => async () => (await ApacheBench.HeadAsync($"{wharf.BaseUrl}/v2/{repository}/blobs/{seeded.Layer}", 32, duration, authorization)).Requests,
            "blob" => () => WrkAsync($"{wharf.BaseUrl}/v2/{repository}/blobs/{blobDigest}", 16, null),
            "upload" => async () =>
            {
                var clock = Stopwatch.StartNew();
                long n = 0;
                for (; clock.Elapsed < duration; n++)
                {
                    var file = temp.Combine($"upload-{n}.bin");
                    var digest = BenchRun.WriteRandomFile(file, 64L << 20, 1000 + (int)n);
                    await Transfers.MonolithicPushAsync(wharf, repository, file, digest, authorization);
                    File.Delete(file);
                }
                return n;
            },
            // New repositories each time: pushing the same images again would find every blob there and upload none.
            "populate" => async () => (await Populate.RunAsync(wharf, $"prof{++populateRuns}", 200, 5, 8)).Images,
            "token" => async () =>
            {
                var clock = Stopwatch.StartNew();
                long n = 0;
                for (; clock.Elapsed < duration; n++) await wharf.AuthorizationAsync($"repository:{ListingData.Repository((int)(n % 100))}:pull");
                return n;
            },
            _ => throw new ArgumentException($"unknown workload '{workload}'"),
        };

        await load(); // warm up: JIT, pools, connections
        if (lastWrk is not null) Console.WriteLine($"{workload}, warm-up run: {lastWrk.RequestsPerSecond:0} req/s, p99 {lastWrk.P99Ms:0.00} ms");
        var trace = temp.Combine("trace.nettrace");
        var tracer = Process.Start(new ProcessStartInfo(traceTool)
        {
            ArgumentList = { "collect", "-p", process.Pid.ToString(), "--profile", "dotnet-sampled-thread-time", "-o", trace, "--duration", $"00:00:{(int)duration.TotalSeconds + 2:D2}" },
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        })!;
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cpuBefore = ProcessStats.CpuTime(process.Pid);
        var requests = await load();
        var cpu = ProcessStats.CpuTime(process.Pid) - cpuBefore;
        await tracer.WaitForExitAsync();
        if (lastWrk is not null) Console.WriteLine($"{workload}, traced run: {lastWrk.RequestsPerSecond:0} req/s, p99 {lastWrk.P99Ms:0.00} ms");
        Console.WriteLine($"{workload}: {requests} operations in about {duration.TotalSeconds:0} s; Wharf CPU {cpu.TotalMilliseconds:0} ms = {cpu.TotalMilliseconds / Math.Max(1, requests):0.000} ms per operation");
        var report = await ExternalTool.RunAsync(traceTool, ["report", trace, "topN", "-n", "60", "--inclusive"]);
        Console.WriteLine(report.Output);
        var keep = Path.Combine(Path.GetTempPath(), $"wharf-profile-{workload}.nettrace");
        File.Copy(trace, keep, overwrite: true);
        Console.WriteLine($"trace kept in {keep}");
        return 0;
    }

    /// <summary>
    /// tags-cold: one client GETs the whole tag list (5,000 tags, one page) again and again, as bench/run.sh does
    /// three times: the wall time of the first requests after start, then of requests once the code is warm, and
    /// Wharf's CPU time per request meanwhile.
    /// </summary>
    private static async Task<int> ColdTagListsAsync(Registry wharf, string? authorization)
    {
        using var http = new HttpClient();
        async Task<double> OnceAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{wharf.BaseUrl}/v2/{ListingData.TagsRepository}/tags/list");
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            if (json.RootElement.GetProperty("tags").GetArrayLength() != 5000) throw new InvalidOperationException("not every tag was listed");
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        for (var i = 0; i < 5; i++) Console.WriteLine($"tags-cold: request {i + 1}: {await OnceAsync():0.000} ms");
        foreach (var batch in new[] { 100, 1000, 2000 })
        {
            var times = new List<double>();
            var cpuBefore = ProcessStats.CpuTime(wharf.Pid);
            for (var i = 0; i < batch; i++) times.Add(await OnceAsync());
            var cpu = ProcessStats.CpuTime(wharf.Pid) - cpuBefore;
            Console.WriteLine($"tags-cold: next {batch} requests: median {BenchRun.Median(times):0.000} ms; Wharf CPU {cpu.TotalMilliseconds / batch:0.000} ms per request");
        }
        return 0;
    }
}
