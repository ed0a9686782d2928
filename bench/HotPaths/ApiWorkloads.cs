using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Wharf.Bench.HotPaths;

/// <summary>The small-request workloads: manifest GETs and blob HEADs under wrk, listings, the token endpoint.</summary>
public static class ApiWorkloads
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>Manifest GET by tag and by digest and blob HEAD, wrk with 32 connections; Wharf's peak RSS meanwhile.</summary>
    public static async Task ManifestsAndHeadsAsync(BenchRun run)
    {
        var s = run.Sizes;
        var repository = ListingData.Repository(0);
        await File.WriteAllBytesAsync(Path.Combine(run.Nginx.Root, "manifest.json"), run.Seeded.ManifestBytes);
        var nginxUrl = $"http://{run.Nginx.HostPort}/manifest.json";
        var cases = new (string Workload, string Path, string Method, string? Accept)[]
        {
            ($"manifest GET by tag, wrk {s.WrkConnections} connections, auth on", $"/v2/{repository}/manifests/v1", "GET", BenchRun.ManifestAccept),
            ($"manifest GET by digest, wrk {s.WrkConnections} connections, auth on", $"/v2/{repository}/manifests/{run.Seeded.Manifest}", "GET", BenchRun.ManifestAccept),
            ($"blob HEAD, ab {s.WrkConnections} connections", $"/v2/{repository}/blobs/{run.Seeded.Layer}", "HEAD", null),
        };
        long peak;
        await using (var sampler = new RssSampler(run.Wharf.Pid))
        {
            foreach (var (workload, path, method, accept) in cases)
            {
                var results = new Dictionary<string, WrkResult>();
                foreach (var registry in run.Registries)
                {
                    var authorization = await registry.AuthorizationAsync($"repository:{repository}:pull");
                    await WarmUpAsync(s, registry.BaseUrl + path, method, authorization, accept);
                    results[registry.Name] = Check(registry.Name, workload, await LoadAsync(s, registry.BaseUrl + path, method, authorization, accept));
                }
                await WarmUpAsync(s, nginxUrl, method, null, null);
                var nginx = Check("nginx", workload, await LoadAsync(s, nginxUrl, method, null, null));
                var (w, r) = (results["wharf"], results["distribution"]);
                run.Table.Add(new Row(workload, "req/s", w.RequestsPerSecond, r.RequestsPerSecond, nginx.RequestsPerSecond, Target.TimesReferenceAtLeast(10),
                    Note: method == "HEAD" ? "ab (wrk cannot finish a HEAD request); nginx: HEAD of a small static file" : "nginx: the same manifest bytes as a static file"));
                if (method == "GET")
                    run.Table.Add(new Row($"  p99 latency of the {workload[..workload.IndexOf(',')]}", "ms", w.P99Ms, r.P99Ms, nginx.P99Ms, Target.Below(5, "ms")));
            }
            peak = sampler.Peak;
        }
        run.Table.Add(new Row("peak RSS under the manifest load", "MiB", peak / 1048576.0, null, null, Target.AtMost(300, "MiB"), "sampled every 50 ms during the three wrk runs above"));
    }

    /// <summary>
    /// The same load for a couple of seconds, not counted, before the measured run (every server alike): what is
    /// measured is the steady state, not a JIT compiling the path's code in the first seconds after start.
    /// </summary>
    private static async Task WarmUpAsync(BenchSizes s, string url, string method, string? authorization, string? accept)
    {
        if (s.Smoke || method != "GET") return;
        await Wrk.RunAsync(url, s.WrkConnections, WarmUp, method, authorization, accept);
    }

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    private static Task<WrkResult> LoadAsync(BenchSizes s, string url, string method, string? authorization, string? accept) => method == "HEAD"
        ? ApacheBench.HeadAsync(url, s.WrkConnections, s.WrkDuration, authorization)
        : Wrk.RunAsync(url, s.WrkConnections, s.WrkDuration, method, authorization, accept);

    private static WrkResult Check(string name, string workload, WrkResult result) =>
        result.Errors == 0 && result.Requests > 0 ? result : throw new InvalidOperationException($"{name}, {workload}: {result.Errors} errors in {result.Requests} requests");

    /// <summary>
    /// <c>_catalog</c> (every page) and <c>tags/list</c> (every page), following <c>Link</c>: the median of three
    /// listings right after start (shown for comparison), then, after each listing has been repeated for a few
    /// seconds (every registry alike), the median of three more: the steady state, which the target is about.
    /// </summary>
    public static async Task ListingsAsync(BenchRun run)
    {
        var s = run.Sizes;
        var rounds = s.Smoke ? 1 : 3;
        var catalog = new Dictionary<string, double>();
        var tags = new Dictionary<string, double>();
        var tagsCold = new Dictionary<string, double>();
        foreach (var registry in run.Registries)
        {
            var catalogAuthorization = await registry.AuthorizationAsync("registry:catalog:*");
            var tagsAuthorization = await registry.AuthorizationAsync($"repository:{ListingData.TagsRepository}:pull");
            Task<double> Catalog() => ListAllAsync(registry, "/v2/_catalog?n=1000", catalogAuthorization, "repositories", s.CatalogRepositories);
            Task<double> Tags() => ListAllAsync(registry, $"/v2/{ListingData.TagsRepository}/tags/list", tagsAuthorization, "tags", s.ListedTags);
            tagsCold[registry.Name] = BenchRun.Median(await RepeatAsync(rounds, Tags));
            if (!s.Smoke)
            {
                await RepeatForAsync(ListingWarmUp, Catalog);
                await RepeatForAsync(ListingWarmUp, Tags);
            }
            catalog[registry.Name] = BenchRun.Median(await RepeatAsync(rounds, Catalog));
            tags[registry.Name] = BenchRun.Median(await RepeatAsync(rounds, Tags));
        }
        var target = Target.TimesReferenceAtMost(0.1).And(Target.Below(50, "ms"));
        run.Table.Add(new Row($"_catalog of {s.CatalogRepositories:N0} repositories, every page (n=1000)", "ms", catalog["wharf"], catalog["distribution"], null, target,
            Note: $"median of {rounds} after {ListingWarmUp.TotalSeconds:0} s of the same listing, not counted"));
        run.Table.Add(new Row($"tags/list of {s.ListedTags:N0} tags, every page", "ms", tags["wharf"], tags["distribution"], null, target,
            Note: $"median of {rounds} after {ListingWarmUp.TotalSeconds:0} s of the same listing, not counted"));
        run.Table.Add(new Row($"  tags/list of {s.ListedTags:N0} tags, the first {rounds} listings after start", "ms", tagsCold["wharf"], tagsCold["distribution"], null, Target.Info,
            Note: "the first is read from the database and rendered; the code of the path is still being compiled"));
    }

    private static readonly TimeSpan ListingWarmUp = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="action"/> again and again for <paramref name="duration"/>, at least once.</summary>
    private static async Task RepeatForAsync(TimeSpan duration, Func<Task<double>> action)
    {
        var clock = Stopwatch.StartNew();
        do await action(); while (clock.Elapsed < duration);
    }

    private static async Task<List<double>> RepeatAsync(int rounds, Func<Task<double>> action)
    {
        var values = new List<double>();
        for (var i = 0; i < rounds; i++) values.Add(await action());
        return values;
    }

    private static async Task<double> ListAllAsync(Registry registry, string first, string? authorization, string property, int expected)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        string? next = first;
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, registry.BaseUrl + next);
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await Http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{registry.Name}: GET {next} answered {(int)response.StatusCode}");
            using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            count += json.RootElement.GetProperty(property).GetArrayLength();
            next = response.Headers.TryGetValues("Link", out var links) ? NextLink(links.First()) : null;
        }
        var ms = clock.Elapsed.TotalMilliseconds;
        // The reference lists what it holds; both must list everything that was seeded.
        if (count < expected) throw new InvalidOperationException($"{registry.Name}: {first} listed {count} entries, expected {expected}");
        return ms;
    }

    private static string? NextLink(string link)
    {
        var start = link.IndexOf('<');
        var end = link.IndexOf('>');
        if (start < 0 || end < start) return null;
        var target = link[(start + 1)..end];
        // A path is used as it is: on Unix, Uri reads "/v2/..." as an absolute file URI and escapes its '?'.
        if (target.StartsWith('/')) return target;
        return Uri.TryCreate(target, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : target;
    }

    /// <summary>
    /// A <c>docker login</c> then pulls of different repositories from one client: for Wharf, a token request with
    /// Basic credentials (the password) for the login and one per repository, then each pull (manifest, config,
    /// layer) with its token. Counts refused requests; Wharf's CPU time over the token requests alone.
    /// </summary>
    public static async Task TokensAsync(BenchRun run)
    {
        var pulls = run.Sizes.TokenPulls;
        var refused = new Dictionary<string, int>();
        var seconds = new Dictionary<string, double>();
        double cpuPerToken = double.NaN;
        foreach (var registry in run.Registries)
        {
            var refusedHere = 0;
            var clock = Stopwatch.StartNew();
            var challenge = await Http.GetAsync($"{registry.BaseUrl}/v2/");
            var authorizations = new string?[pulls];
            if (challenge.StatusCode == HttpStatusCode.Unauthorized)
            {
                var realm = challenge.Headers.WwwAuthenticate.First().Parameter!;
                await WarmUpTokensAsync(run.Sizes, registry, realm);
                var cpuBefore = ProcessStats.CpuTime(registry.Pid);
                var login = await TokenAsync(registry, realm, null);
                if (login is null) refusedHere++;
                for (var i = 0; i < pulls; i++)
                {
                    authorizations[i] = await TokenAsync(registry, realm, $"repository:{ListingData.Repository(i)}:pull");
                    if (authorizations[i] is null) refusedHere++;
                }
                cpuPerToken = (ProcessStats.CpuTime(registry.Pid) - cpuBefore).TotalMilliseconds / (pulls + 1);
            }
            else if (challenge.StatusCode != HttpStatusCode.OK) refusedHere++;
            challenge.Dispose();
            for (var i = 0; i < pulls; i++)
            {
                var repository = ListingData.Repository(i);
                foreach (var path in new[] { $"manifests/v1", $"blobs/{run.Seeded.Config}", $"blobs/{run.Seeded.Layer}" })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"{registry.BaseUrl}/v2/{repository}/{path}");
                    request.Headers.TryAddWithoutValidation("Accept", BenchRun.ManifestAccept);
                    if (authorizations[i] is { } a) request.Headers.TryAddWithoutValidation("Authorization", a);
                    using var response = await Http.SendAsync(request);
                    await response.Content.CopyToAsync(Stream.Null);
                    if (response.StatusCode != HttpStatusCode.OK) refusedHere++;
                }
            }
            refused[registry.Name] = refusedHere;
            seconds[registry.Name] = clock.Elapsed.TotalSeconds;
        }
        run.Table.Add(new Row($"token: login + {pulls} pulls of different repositories, refused requests", "count", refused["wharf"], refused["distribution"], null, Target.Exactly(0),
            $"whole sequence took {seconds["wharf"]:0.00} s on Wharf (with {pulls + 1} token requests), {seconds["distribution"]:0.00} s on the reference (open, no tokens)"));
        run.Table.Add(new Row("token: CPU per token request with a password", "ms", cpuPerToken, null, null, Target.AtMost(10, "ms"),
            "Wharf's process CPU time (utime+stime, 10 ms ticks) over the login and the per-repository token requests, divided by their number; " +
            $"after {TokenWarmUp.TotalSeconds:0} s of anonymous token requests, not counted (the password is first checked in the login, which pays its hash)"));
    }

    /// <summary>
    /// Anonymous token requests for a few seconds, not counted: the endpoint's code is compiled before the measured
    /// sequence, as for every other workload, and the measured login is still the first check of the password.
    /// </summary>
    private static async Task WarmUpTokensAsync(BenchSizes s, Registry registry, string realm)
    {
        if (s.Smoke) return;
        var clock = Stopwatch.StartNew();
        for (var i = 0; clock.Elapsed < TokenWarmUp; i++)
        {
            var url = TokenUrl(realm, $"repository:{ListingData.Repository(i % s.TokenPulls)}:pull");
            using var response = await Http.GetAsync(url);
            response.EnsureSuccessStatusCode();
        }
    }

    private static readonly TimeSpan TokenWarmUp = TimeSpan.FromSeconds(3);

    private static string TokenUrl(string challenge, string? scope)
    {
        string Parameter(string name) => System.Text.RegularExpressions.Regex.Match(challenge, $"{name}=\"([^\"]*)\"").Groups[1].Value;
        return $"{Parameter("realm")}?service={Uri.EscapeDataString(Parameter("service"))}" + (scope is null ? "" : "&scope=" + Uri.EscapeDataString(scope));
    }

    private static async Task<string?> TokenAsync(Registry registry, string challenge, string? scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, TokenUrl(challenge, scope)) { Headers = { Authorization = new AuthenticationHeaderValue("Basic", registry.BasicCredentials) } };
        using var response = await Http.SendAsync(request);
        Interlocked.Increment(ref registry.TokenRequests);
        if (!response.IsSuccessStatusCode) return null;
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return "Bearer " + json.RootElement.GetProperty("token").GetString();
    }
}
