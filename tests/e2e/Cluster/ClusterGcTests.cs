using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// Online garbage collection across instances: one instance collects every second with no grace period while the
/// other two take pushes (sharing base layers, so a push often finds its layer already there), cross-repository
/// mounts and deletes. After at least thirty collections every acknowledged image that was not deleted pulls
/// completely, and once a last collection has run the store holds exactly the blobs the live images need.
/// </summary>
public sealed class ClusterGcTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int RunsWanted = 30;
    private const int ImagesWanted = 60;
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    private WharfCluster _cluster = null!;

    private sealed record Pushed(string Repository, string Tag, string ManifestDigest, string[] Blobs);

    public async Task InitializeAsync()
    {
        _cluster = await WharfCluster.StartAsync(3,
            new Dictionary<string, string> { ["Wharf__Auth__Mode"] = "basic" },
            i => i == 0
                ? new Dictionary<string, string>
                {
                    ["Wharf__GarbageCollection__Interval"] = "00:00:01",
                    ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00",
                    ["Wharf__GarbageCollection__SweepBatchSize"] = "5",
                }
                : new Dictionary<string, string>());
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            output.WriteLine(_cluster.Logs);
            await _cluster.DisposeAsync();
        }
    }

    private Task<long> CompletedRunsAsync(DateTime? startedAfter = null) =>
        _cluster.Database.ScalarAsync<long>(
            "SELECT count(*) FROM \"GcRuns\" WHERE \"State\" = 1" +
            (startedAfter is { } t ? $" AND \"StartedAt\" > '{t:yyyy-MM-dd HH:mm:ss.ffffff}'" : ""));

    [Fact]
    public async Task Collections_on_one_instance_while_two_others_push_mount_and_delete_lose_nothing_acknowledged_and_leave_nothing_unneeded()
    {
        var acknowledged = new ConcurrentDictionary<string, Pushed>();
        var deleted = new ConcurrentDictionary<string, Pushed>();
        var refused = 0;
        var mounted = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            using var http = new RegistryHttp(_cluster.Instances[1 + w % 2].HostPort);
            var random = new Random(w);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var repository = $"gc/w{w}/r{i % 4}";
                var tag = $"t{i}";
                var blobs = new List<(string Digest, long Size)>();
                // A base layer that many images share (pushed once, then found with HEAD), and one of the image's own.
                blobs.Add(await EnsureBlobAsync(http, repository, Encoding.UTF8.GetBytes($"base layer {random.Next(3)} " + new string('b', 3000))));
                blobs.Add(await EnsureBlobAsync(http, repository, RandomBytes(random, 2000 + random.Next(4000))));
                // Every other image mounts a layer of a live image from another worker's repository.
                var source = acknowledged.Values.Where(p => !p.Repository.StartsWith($"gc/w{w}/", StringComparison.Ordinal)).Skip(random.Next(8)).FirstOrDefault();
                if (i % 2 == 0 && source is not null && !deleted.ContainsKey(source.Repository + ":" + source.Tag))
                {
                    var layer = source.Blobs[^1];
                    if (await MountAsync(http, repository, layer, source.Repository) is { } size)
                    {
                        blobs.Add((layer, size));
                        Interlocked.Increment(ref mounted);
                    }
                }
                var config = await EnsureBlobAsync(http, repository, Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","worker":{{w}},"image":{{i}}}"""));
                var manifest = Manifest(config, blobs);
                using var content = new ByteArrayContent(manifest);
                content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
                using var put = await http.Client.PutAsync($"/v2/{repository}/manifests/{tag}", content);
                if ((int)put.StatusCode == 201)
                    acknowledged[repository + ":" + tag] = new Pushed(repository, tag, RegistryHttp.Sha256(manifest), [config.Digest, .. blobs.Select(b => b.Digest)]);
                else
                {
                    // A layer that collection took between the push's check and its manifest: refused, never acknowledged.
                    Assert.Equal(400, (int)put.StatusCode);
                    Assert.Contains("MANIFEST_BLOB_UNKNOWN", await put.Content.ReadAsStringAsync());
                    Interlocked.Increment(ref refused);
                }
                // Every third image, delete one of this worker's earlier ones by digest.
                if (i % 3 == 2)
                {
                    var victim = acknowledged.Values.Where(p => p.Repository.StartsWith($"gc/w{w}/", StringComparison.Ordinal) && !deleted.ContainsKey(p.Repository + ":" + p.Tag))
                        .Skip(random.Next(4)).FirstOrDefault();
                    if (victim is not null)
                    {
                        using var delete = await http.DeleteManifestAsync(victim.Repository, victim.ManifestDigest);
                        Assert.Equal(202, (int)delete.StatusCode);
                        deleted[victim.Repository + ":" + victim.Tag] = victim;
                    }
                }
            }
        })).ToArray();

        // Condition wait: the writers go on until the collecting instance has finished enough runs while they
        // pushed and deleted enough (or a writer fails).
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        var runsAtStart = await CompletedRunsAsync();
        while ((await CompletedRunsAsync() - runsAtStart < RunsWanted || acknowledged.Count < ImagesWanted || deleted.Count < ImagesWanted / 4 || mounted < ImagesWanted / 4)
               && workers.All(t => !t.IsCompleted))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"in 6 minutes: {await CompletedRunsAsync() - runsAtStart} collections, {acknowledged.Count} images acknowledged, {deleted.Count} deleted, {mounted} mounts");
            await Task.Delay(250);
        }
        // Collections that began before the first write do not count: thirty ran while the writers did.
        Assert.True(await CompletedRunsAsync() - runsAtStart >= RunsWanted);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var writesEnded = DateTime.UtcNow;
        // Neither failed nor cancelled nor interrupted (0 is the run in progress, 1 a completed one).
        var failedRuns = await _cluster.Database.ColumnAsync("SELECT \"State\" || ': ' || coalesce(\"Error\", '') FROM \"GcRuns\" WHERE \"State\" NOT IN (0, 1)");
        output.WriteLine($"{await CompletedRunsAsync()} collections, {acknowledged.Count} images acknowledged, {deleted.Count} deleted, {mounted} mounts, {refused} refused");
        Assert.Empty(failedRuns);
        Assert.True(await _cluster.Database.ScalarAsync<long>("SELECT coalesce(sum(\"DeletedBlobs\"), 0) FROM \"GcRuns\"") > 0,
            "no collection deleted anything: deletes and refused pushes should have left garbage");

        var live = acknowledged.Where(p => !deleted.ContainsKey(p.Key)).Select(p => p.Value).ToList();
        // Four pullers through the front, each with its own client, share the live images between them.
        await Task.WhenAll(live.Chunk((live.Count + 3) / 4).Select(share => Task.Run(async () =>
        {
            using var http = new RegistryHttp(_cluster.Front.HostPort);
            foreach (var image in share)
            {
                var (content, digest, _, status) = await http.ManifestAsync(image.Repository, image.Tag);
                Assert.True(status == 200, $"{image.Repository}:{image.Tag} answers {status}");
                Assert.Equal(image.ManifestDigest, digest);
                Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(content));
                foreach (var blob in image.Blobs)
                {
                    using var response = await http.Client.GetAsync($"/v2/{image.Repository}/blobs/{blob}");
                    Assert.True((int)response.StatusCode == 200, $"{image.Repository}:{image.Tag} lost {blob}: {(int)response.StatusCode}");
                    Assert.Equal(blob, RegistryHttp.Sha256(await response.Content.ReadAsByteArrayAsync()));
                }
            }
        })));
        using (var http = new RegistryHttp(_cluster.Front.HostPort))
            foreach (var image in deleted.Values)
                Assert.Equal(404, (await http.ManifestAsync(image.Repository, image.ManifestDigest)).Status);

        // One more collection that began after the last write: then the store holds exactly what the live images need.
        while (await CompletedRunsAsync(writesEnded) < 1)
        {
            Assert.True(DateTime.UtcNow < deadline + TimeSpan.FromMinutes(1), "no collection completed after the writes ended");
            await Task.Delay(250);
        }
        var needed = live.SelectMany(p => p.Blobs.Append(p.ManifestDigest)).ToHashSet();
        var stored = StoredBlobs();
        Assert.True(needed.SetEquals(stored),
            $"store and live images differ: {stored.Except(needed).Count()} blobs nobody needs ({string.Join(", ", stored.Except(needed).Take(5))}), " +
            $"{needed.Except(stored).Count()} needed blobs missing ({string.Join(", ", needed.Except(stored).Take(5))})");
    }

    private HashSet<string> StoredBlobs()
    {
        var root = Path.Combine(_cluster.RootDirectory, "docker", "registry", "v2", "blobs", "sha256");
        return Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "data", SearchOption.AllDirectories).Select(f => "sha256:" + Path.GetFileName(Path.GetDirectoryName(f)!)).ToHashSet()
            : [];
    }

    /// <summary>HEAD, and a monolithic upload when the repository does not have the blob (what clients do).</summary>
    private static async Task<(string Digest, long Size)> EnsureBlobAsync(RegistryHttp http, string repository, byte[] content)
    {
        var digest = RegistryHttp.Sha256(content);
        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}"))
        using (var found = await http.Client.SendAsync(head))
            if ((int)found.StatusCode == 200) return (digest, content.Length);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.Client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", body);
        Assert.True((int)put.StatusCode == 201, $"blob upload answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        return (digest, content.Length);
    }

    /// <summary>A cross-repository mount; null when the registry started an upload instead (the source is gone).</summary>
    private static async Task<long?> MountAsync(RegistryHttp http, string repository, string digest, string from)
    {
        using var mount = await http.Client.PostAsync($"/v2/{repository}/blobs/uploads/?mount={digest}&from={from}", null);
        if ((int)mount.StatusCode == 201)
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
            using var found = await http.Client.SendAsync(head);
            return found.Content.Headers.ContentLength;
        }
        Assert.Equal(202, (int)mount.StatusCode);
        using var cancel = await http.Client.DeleteAsync(mount.Headers.Location);
        return null;
    }

    private static byte[] Manifest((string Digest, long Size) config, IEnumerable<(string Digest, long Size)> layers) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = config.Digest, ["size"] = config.Size },
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.layer.v1.tar",
                ["digest"] = l.Digest,
                ["size"] = l.Size,
            }).ToArray()),
        }.ToJsonString());

    private static byte[] RandomBytes(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        return bytes;
    }
}
