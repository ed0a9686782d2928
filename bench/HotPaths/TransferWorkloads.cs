using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>The byte-moving workloads: blob pushes and pulls, many concurrent pulls, a skopeo image round trip.</summary>
public static class TransferWorkloads
{
    private const string PushRepository = "bench/push";
    private const string PullRepository = "bench/pull";

    /// <summary>Monolithic and chunked pushes of a large blob (a new one each round) against nginx taking the same PUT.</summary>
    public static async Task<(string File, string Digest)> PushesAsync(BenchRun run)
    {
        var s = run.Sizes;
        var monolithic = new Dictionary<string, List<double>>();
        var chunked = new Dictionary<string, List<double>>();
        var nginx = new List<double>();
        (string File, string Digest)? first = null;
        for (var round = 0; round < s.PushRounds; round++)
        {
            var file = run.Temp.Combine($"push-{round}.bin");
            var digest = BenchRun.WriteRandomFile(file, s.PushBlob, 100 + round);
            first ??= (file, digest);
            var chunkedFile = run.Temp.Combine($"push-chunked-{round}.bin");
            var chunkedDigest = BenchRun.WriteRandomFile(chunkedFile, s.PushBlob, 200 + round);
            foreach (var registry in run.Registries)
            {
                var authorization = await registry.AuthorizationAsync($"repository:{PushRepository}:pull,push");
                Add(monolithic, registry.Name, await Transfers.MonolithicPushAsync(registry, PushRepository, file, digest, authorization));
                Add(chunked, registry.Name, await Transfers.ChunkedPushAsync(registry, PushRepository, chunkedFile, chunkedDigest, s.PushChunk, authorization));
            }
            var (status, seconds) = await Transfers.CurlPutAsync($"http://{run.Nginx.HostPort}/uploads/push-{round}.bin", file, null);
            if (status is not (201 or 204)) throw new InvalidOperationException($"nginx PUT answered {status}");
            nginx.Add(s.PushBlob / 1e6 / seconds);
            File.Delete(chunkedFile);
            if (round > 0) File.Delete(file);
            File.Delete(Path.Combine(run.Nginx.Root, "..", "uploads", $"push-{round}.bin"));
        }
        var target = Target.TimesReferenceAtLeast(2).And(Target.TimesNginxAtLeast(0.6));
        var size = BenchSizes.Mib(s.PushBlob);
        const string durability = "Wharf: durable (fsync'd) before the 201; the reference and nginx do not fsync";
        run.Table.Add(new Row($"blob push {size} monolithic (POST + PUT, curl)", "MB/s", BenchRun.Median(monolithic["wharf"]), BenchRun.Median(monolithic["distribution"]), BenchRun.Median(nginx), target, durability));
        run.Table.Add(new Row($"blob push {size} in {BenchSizes.Mib(s.PushChunk)} chunks (PATCH + Content-Range)", "MB/s", BenchRun.Median(chunked["wharf"]), BenchRun.Median(chunked["distribution"]), BenchRun.Median(nginx), target, "nginx: one PUT of the whole file"));
        return first!.Value;
    }

    /// <summary>The pushed large blob fetched by one curl, against nginx's sendfile of the same file.</summary>
    public static async Task LargeGetAsync(BenchRun run, string file, string digest)
    {
        var s = run.Sizes;
        File.Copy(file, Path.Combine(run.Nginx.Root, "large.bin"), overwrite: true);
        var figures = new Dictionary<string, List<double>>();
        for (var round = 0; round < s.GetRounds; round++)
        {
            foreach (var registry in run.Registries)
            {
                var authorization = await registry.AuthorizationAsync($"repository:{PushRepository}:pull");
                Add(figures, registry.Name, await Transfers.CurlDownloadAsync($"{registry.BaseUrl}/v2/{PushRepository}/blobs/{digest}", authorization, s.PushBlob));
            }
            Add(figures, "nginx", await Transfers.CurlDownloadAsync($"http://{run.Nginx.HostPort}/large.bin", null, s.PushBlob));
        }
        run.Table.Add(new Row($"blob GET {BenchSizes.Mib(s.PushBlob)}, one client (curl)", "MB/s", BenchRun.Median(figures["wharf"]), BenchRun.Median(figures["distribution"]), BenchRun.Median(figures["nginx"]),
            Target.TimesReferenceAtLeast(1.1).And(Target.TimesNginxAtLeast(1.0)), $"median of {s.GetRounds}; nginx with sendfile"));
    }

    /// <summary>Many concurrent pulls of one blob (wrk), and how much Wharf's resident memory grows meanwhile.</summary>
    public static async Task ConcurrentPullsAsync(BenchRun run)
    {
        var s = run.Sizes;
        var file = run.Temp.Combine("pull.bin");
        var digest = BenchRun.WriteRandomFile(file, s.PullBlob, 300);
        File.Copy(file, Path.Combine(run.Nginx.Root, "pull.bin"), overwrite: true);
        var rates = new Dictionary<string, double>();
        var growth = new Dictionary<string, double>();
        foreach (var registry in run.Registries)
        {
            var authorization = await registry.AuthorizationAsync($"repository:{PullRepository}:pull,push");
            await Transfers.UploadAsync(registry, PullRepository, file, digest, authorization);
            WrkResult result;
            await using (var sampler = new RssSampler(registry.Pid))
            {
                result = await Wrk.RunAsync($"{registry.BaseUrl}/v2/{PullRepository}/blobs/{digest}", s.PullConnections, s.PullDuration, authorization: authorization);
                growth[registry.Name] = (sampler.Peak - sampler.Start) / 1048576.0;
            }
            if (result.Errors > 0) throw new InvalidOperationException($"{registry.Name}: {result.Errors} errors in {result.Requests} concurrent pulls");
            rates[registry.Name] = result.MegabytesPerSecond;
        }
        var nginx = await Wrk.RunAsync($"http://{run.Nginx.HostPort}/pull.bin", s.PullConnections, s.PullDuration);
        var label = $"blob GET {BenchSizes.Mib(s.PullBlob)}, {s.PullConnections} connections (wrk)";
        run.Table.Add(new Row(label, "MB/s", rates["wharf"], rates["distribution"], nginx.MegabytesPerSecond, Target.TimesReferenceAtLeast(1.0)));
        run.Table.Add(new Row($"  RSS growth during the {s.PullConnections} concurrent pulls", "MiB", growth["wharf"], growth["distribution"], null, Target.AtMost(64, "MiB"),
            "peak RSS sampled every 50 ms minus RSS before; reference column: distribution's own growth"));
    }

    /// <summary>skopeo copy of a multi-layer image to the registry and back (times added), a new image per round.</summary>
    public static async Task SkopeoAsync(BenchRun run)
    {
        var s = run.Sizes;
        var rounds = s.Smoke ? 1 : 3;
        var layout = new OciLayout(run.Temp.Combine("images"));
        for (var i = 0; i < rounds; i++) layout.AddImage($"img{i}", Enumerable.Range(0, s.ImageLayers).Select(l => (Seed: 7000 + 10 * i + l, Size: s.ImageLayerSize)));
        var times = new Dictionary<string, List<double>>();
        foreach (var registry in run.Registries)
        {
            for (var i = 0; i < rounds; i++)
            {
                var clock = Stopwatch.StartNew();
                await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:img{i}", $"docker://{registry.HostPort}/bench/skopeo{i}:1");
                var pulled = run.Temp.Combine($"pulled-{registry.Name}-{i}");
                await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{registry.HostPort}/bench/skopeo{i}:1", $"oci:{pulled}:x");
                Add(times, registry.Name, clock.Elapsed.TotalSeconds);
                Directory.Delete(pulled, true);
            }
        }
        run.Table.Add(new Row($"skopeo push + pull of a {s.ImageLayers} × {BenchSizes.Mib(s.ImageLayerSize)} image", "s", BenchRun.Median(times["wharf"]), BenchRun.Median(times["distribution"]), null,
            Target.TimesReferenceAtMost(0.8), $"median of {rounds}; skopeo logs in to Wharf with the password (token requests included)"));
    }

    private static void Add(Dictionary<string, List<double>> figures, string name, double value)
    {
        if (!figures.TryGetValue(name, out var list)) figures[name] = list = [];
        list.Add(value);
    }
}
