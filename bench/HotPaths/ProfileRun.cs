using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// bench/profile.sh: one hot path under steady load on a Wharf of its own while dotnet-trace samples its threads,
/// then the methods that were on the stacks longest (inclusive) and Wharf's CPU time per request.
/// Workloads: manifest (GET by tag, with a bearer token), head (blob HEAD), blob (20 MiB GETs), upload (monolithic
/// 64 MiB pushes), populate (small images, a token per repository), token (token requests with a password).
/// </summary>
public static class ProfileRun
{
    public static async Task<int> RunAsync(string workload, string traceTool, TimeSpan duration)
    {
        using var temp = new TempDirectory("wharf-profile");
        var seeded = new ListingData(temp.Combine("wharf"), 100, 10).Generate();
        await using var process = await WharfProcess.StartAsync(temp.Combine("wharf"));
        using var wharf = new Registry("wharf", process.HostPort, process.Pid, (process.AdminUser, process.AdminPassword));
        var repository = ListingData.Repository(0);
        var authorization = await wharf.AuthorizationAsync($"repository:{repository}:pull,push");
        var blob = temp.Combine("blob.bin");
        var blobDigest = BenchRun.WriteRandomFile(blob, workload == "upload" ? 64L << 20 : 20L << 20, 5);
        if (workload == "blob") await Transfers.UploadAsync(wharf, repository, blob, blobDigest, authorization);

        Func<Task<long>> load = workload switch
        {
            "manifest" => async () => (await Wrk.RunAsync($"{wharf.BaseUrl}/v2/{repository}/manifests/v1", 32, duration, authorization: authorization, accept: BenchRun.ManifestAccept)).Requests,
            "head" => async () => (await ApacheBench.HeadAsync($"{wharf.BaseUrl}/v2/{repository}/blobs/{seeded.Layer}", 32, duration, authorization)).Requests,
            "blob" => async () => (await Wrk.RunAsync($"{wharf.BaseUrl}/v2/{repository}/blobs/{blobDigest}", 16, duration, authorization: authorization)).Requests,
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
            "populate" => async () => (await Populate.RunAsync(wharf, "prof", 200, 5, 8)).Images,
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
        Console.WriteLine($"{workload}: {requests} operations in about {duration.TotalSeconds:0} s; Wharf CPU {cpu.TotalMilliseconds:0} ms = {cpu.TotalMilliseconds / Math.Max(1, requests):0.000} ms per operation");
        var report = await ExternalTool.RunAsync(traceTool, ["report", trace, "topN", "-n", "60", "--inclusive"]);
        Console.WriteLine(report.Output);
        var keep = Path.Combine(Path.GetTempPath(), $"wharf-profile-{workload}.nettrace");
        File.Copy(trace, keep, overwrite: true);
        Console.WriteLine($"trace kept in {keep}");
        return 0;
    }
}
