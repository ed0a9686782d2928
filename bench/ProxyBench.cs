using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// The pull-through cache's cost and gain: the same images pulled with skopeo straight from an upstream
/// (distribution 2.8 on loopback), through Wharf cold (fetched from that upstream while streamed), and through Wharf
/// warm (from its cache); then eight concurrent cold pulls of one image, both ways.
/// </summary>
public static class ProxyBench
{
    private const int Layers = 5;
    private const int LayerSize = 24 << 20;

    public static async Task<int> RunAsync(int rounds)
    {
        using var temp = new TempDirectory("wharf-proxy-bench");
        var layout = new OciLayout(temp.Combine("images"));
        for (var i = 0; i <= rounds; i++)
            layout.AddImage($"img{i}", Enumerable.Range(0, Layers).Select(l => (Seed: 5000 * (i + 1) + l, Size: LayerSize)));

        await using var upstream = await DistributionRegistry.StartAsync(temp.Combine("upstream"), temp.Path);
        await using var wharf = await WharfProcess.StartAsync(temp.Combine("wharf"), new Dictionary<string, string>
        {
            ["Wharf__Auth__Mode"] = "none",
            ["Wharf__Upstreams__0__Name"] = "up",
            ["Wharf__Upstreams__0__Prefix"] = "up",
            ["Wharf__Upstreams__0__Url"] = $"http://{upstream.HostPort}",
        });
        for (var i = 0; i <= rounds; i++)
        {
            await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:img{i}", $"docker://{upstream.HostPort}/bench/img{i}:1");
        }

        var figures = new Dictionary<string, List<double>>();
        void Add(string name, double value) => (figures.TryGetValue(name, out var list) ? list : figures[name] = []).Add(value);
        var n = 0;
        Task<double> Pull(string source) => TimeAsync(async () =>
        {
            var destination = temp.Combine($"pulled-{Interlocked.Increment(ref n)}");
            await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", source, $"oci:{destination}:x");
            Directory.Delete(destination, true);
        });

        for (var i = 0; i < rounds; i++)
        {
            Add("direct from upstream", await Pull($"docker://{upstream.HostPort}/bench/img{i}:1"));
            Add("through Wharf, cold", await Pull($"docker://{wharf.HostPort}/up/bench/img{i}:1"));
            Add("through Wharf, warm", await Pull($"docker://{wharf.HostPort}/up/bench/img{i}:1"));
        }
        Add("8 concurrent, direct from upstream", await TimeAsync(() => Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Pull($"docker://{upstream.HostPort}/bench/img{rounds}:1")))));
        Add("8 concurrent, through Wharf, cold", await TimeAsync(() => Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Pull($"docker://{wharf.HostPort}/up/bench/img{rounds}:1")))));

        var direct = Median(figures["direct from upstream"]);
        Console.WriteLine($"{"pull of a " + (Layers * LayerSize >> 20) + " MiB image (skopeo), seconds",-44} {"median",8} {"vs direct",10}");
        foreach (var (name, values) in figures)
        {
            var baseline = name.StartsWith("8 concurrent") ? Median(figures["8 concurrent, direct from upstream"]) : direct;
            Console.WriteLine($"{name,-44} {Median(values),8:F2} {Median(values) / baseline,10:F2}");
        }
        var blobGets = upstream.Log.Split('\n').Count(l => l.Contains($"\"GET /v2/bench/img{rounds}/blobs/") && l.Contains("\"Wharf"));
        var (current, peak) = wharf.Memory();
        Console.WriteLine($"8 concurrent cold pulls through Wharf sent {blobGets} blob GETs upstream for {Layers + 1} blobs; Wharf RSS {current >> 20} MiB (peak {peak >> 20} MiB)");
        Console.WriteLine($"({rounds} rounds; medians; upstream and Wharf on loopback, {Environment.ProcessorCount} CPUs)");
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }
}
