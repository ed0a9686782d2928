using System.Diagnostics;
using System.Security.Cryptography;
using Wharf.Bench;
using Wharf.Tests.E2E.Infrastructure;

// Pushes and pulls the same images with skopeo through Wharf and through distribution 2.8 (Debian's
// docker-registry) in the same run, and drives each with the same HTTP load, then prints figures and ratios.
// bench/proxy.sh: the pull-through cache instead (direct pulls from an upstream against pulls through Wharf).
if (args.Length > 0 && args[0] == "proxy")
    return await ProxyBench.RunAsync(args.Length > 1 && int.TryParse(args[1], out var proxyRounds) ? proxyRounds : 3);
// bench/gc.sh: garbage collection time on generated data instead (Wharf's and distribution's garbage-collect).
if (args.Length > 0 && args[0] == "portal")
    return await PortalBench.RunAsync(args.Length > 1 && int.TryParse(args[1], out var portalRounds) ? portalRounds : 3);
if (args.Length > 0 && args[0] == "gc")
    return await GcBenchmark.RunAsync(args[1..]);
var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 3;
using var temp = new TempDirectory("wharf-bench");
var layout = new OciLayout(temp.Combine("images"));
var images = Enumerable.Range(0, rounds)
    .Select(i => layout.AddImage($"img{i}", Enumerable.Range(0, 5).Select(l => (Seed: 1000 * (i + 1) + l, Size: 24 << 20))))
    .ToList();
var imageBytes = 5L * (24 << 20);

// Like for like: the reference registry runs without authentication here, so Wharf does too.
await using var wharf = await WharfProcess.StartAsync(temp.Combine("wharf"), new Dictionary<string, string> { ["Wharf__Auth__Mode"] = "none" });
await using var distribution = await DistributionRegistry.StartAsync(temp.Combine("distribution"), temp.Path);
var targets = new (string Name, string HostPort)[] { ("wharf", wharf.HostPort), ("distribution", distribution.HostPort) };

var results = new Results();
foreach (var (name, hostPort) in targets)
{
    for (var i = 0; i < rounds; i++)
    {
        results.Add(name, "push 120 MiB image (s)", await TimeAsync(() => ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false",
            $"oci:{layout.Directory}:img{i}", $"docker://{hostPort}/bench/img{i}:1")));
        var pulled = temp.Combine($"pulled-{name}-{i}");
        results.Add(name, "pull 120 MiB image (s)", await TimeAsync(() => ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false",
            $"docker://{hostPort}/bench/img{i}:1", $"oci:{pulled}:x")));
        Directory.Delete(pulled, true);
    }
    using var http = new RegistryHttp(hostPort);
    // distribution answers 404 to a manifest GET that does not accept the OCI media type.
    http.Client.DefaultRequestHeaders.Accept.ParseAdd(OciLayout.ManifestType);
    results.Add(name, "manifest GET by tag (req/s)", await Load.RequestsPerSecondAsync(http.Client, "/v2/bench/img0/manifests/1", 8, TimeSpan.FromSeconds(5)));
    var digest = images[0].Layers[0].Digest;
    results.Add(name, "blob GET 24 MiB, 4 clients (MiB/s)", await Load.ThroughputAsync(http.Client, $"/v2/bench/img0/blobs/{digest}", 4, TimeSpan.FromSeconds(5)));
    results.Add(name, "tags/list (req/s)", await Load.RequestsPerSecondAsync(http.Client, "/v2/bench/img0/tags/list", 8, TimeSpan.FromSeconds(3)));
}
var (current, peak) = wharf.Memory();
results.Print(imageBytes, $"Wharf RSS at the end: {current >> 20} MiB (peak {peak >> 20} MiB)");
return 0;

static async Task<double> TimeAsync(Func<Task> action)
{
    var watch = Stopwatch.StartNew();
    await action();
    return watch.Elapsed.TotalSeconds;
}
