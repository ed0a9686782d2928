using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// The populate workloads, each on fresh registries: the populate itself, and the same populate on a Wharf whose
/// garbage collection runs every second (over seeded garbage, so the sweep has work).
/// </summary>
public static class PopulateWorkloads
{
    /// <summary>Wharf as it ships (the token endpoint throttles failed authentications only, never a busy CI).</summary>
    private static readonly Dictionary<string, string> AsShipped = new();

    public static async Task RunAsync(BenchRun run, Func<string, IDictionary<string, string>, Task<(WharfProcess Process, Registry Registry)>> startWharf)
    {
        var s = run.Sizes;
        var label = $"populate: {s.PopulateRepositories:N0} repositories × {s.PopulateTags} tags, {s.PopulateThreads} threads, a token per repository";

        PopulateResult wharf, reference;
        var (process, registry) = await startWharf("wharf-populate", AsShipped);
        await using (process)
        using (registry)
            wharf = await Populate.RunAsync(registry, "pop", s.PopulateRepositories, s.PopulateTags, s.PopulateThreads);
        await using (var distribution = await DistributionRegistry.StartAsync(run.Temp.Combine("distribution-populate"), run.Temp.Path, quiet: true))
        using (var open = new Registry("distribution", distribution.HostPort, distribution.Pid, null))
            reference = await Populate.RunAsync(open, "pop", s.PopulateRepositories, s.PopulateTags, s.PopulateThreads);
        Fail("populate", wharf, reference);
        run.Table.Add(new Row(label, "s", wharf.Elapsed.TotalSeconds, reference.Elapsed.TotalSeconds, null, Target.TimesReferenceAtMost(0.5),
            $"{wharf.Images:N0} images, a token request with the password per repository"));
        run.Table.Add(new Row("  p99 of a manifest PUT during the populate", "ms", wharf.ManifestPutP99Ms, reference.ManifestPutP99Ms, null, Target.Below(50, "ms")));
        run.Table.Add(new Row("  worst write latency during the populate", "ms", wharf.WorstWriteMs, reference.WorstWriteMs, null, Target.Info));

        var withGc = new Dictionary<string, string>(AsShipped)
        {
            ["Wharf__GarbageCollection__Interval"] = "00:00:01",
            // Seeded garbage older than this is swept while the populate runs; an image's blobs and manifest are
            // pushed within milliseconds of each other, far inside it.
            ["Wharf__GarbageCollection__GracePeriod"] = "00:00:05",
        };
        (process, registry) = await startWharf("wharf-populate-gc", withGc);
        PopulateResult collected;
        await using (process)
        using (registry)
        {
            await SeedGarbageAsync(registry, s.Smoke ? 20 : 1000);
            await Task.Delay(TimeSpan.FromSeconds(6)); // past the grace period: the first collections sweep the seed
            collected = await Populate.RunAsync(registry, "popgc", s.PopulateRepositories, s.PopulateTags, s.PopulateThreads);
            var log = process.Log;
            if (collected.Failures > 0) throw new InvalidOperationException($"populate with GC: {collected.Failures} failures, first: {collected.FirstFailure}\n{Tail(log)}");
            run.Table.Add(new Row("populate while garbage collection runs every second: worst write latency", "ms", collected.WorstWriteMs, null, null, Target.AtMost(1000, "ms"),
                $"{collected.Elapsed.TotalSeconds:0.0} s in all; the reference cannot collect while it serves"));
        }
    }

    /// <summary>Uploaded blobs no manifest references: what garbage collection deletes.</summary>
    private static async Task SeedGarbageAsync(Registry registry, int count)
    {
        var authorization = await registry.AuthorizationAsync("repository:garbage/seed:pull,push");
        using var http = new HttpClient { BaseAddress = new Uri(registry.BaseUrl) };
        for (var i = 0; i < count; i++)
        {
            var content = System.Text.Encoding.UTF8.GetBytes($"garbage {i}");
            var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
            using var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/garbage/seed/blobs/uploads/?digest={Uri.EscapeDataString(digest)}") { Content = new ByteArrayContent(content) };
            if (authorization is not null) post.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await http.SendAsync(post);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"seeding garbage: {(int)response.StatusCode}");
        }
    }

    private static void Fail(string what, PopulateResult wharf, PopulateResult reference)
    {
        if (wharf.Failures > 0) throw new InvalidOperationException($"{what} on Wharf: {wharf.Failures} failures, first: {wharf.FirstFailure}");
        if (reference.Failures > 0) throw new InvalidOperationException($"{what} on the reference: {reference.Failures} failures, first: {reference.FirstFailure}");
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(30));
}
