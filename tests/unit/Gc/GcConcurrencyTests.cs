using System.Diagnostics;
using System.Net;
using Wharf.Registry;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using Xunit.Abstractions;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>
/// Online collection under load: one task pushes images (sharing layers with images it deletes, mounting across
/// repositories, multi-platform indexes, referrers) and deletes old ones by digest and by tag, while another collects
/// in a loop, every mode in turn. Afterwards every acknowledged image that was not deleted pulls completely, and after
/// one last run nothing eligible is left on disk.
/// </summary>
public sealed class GcConcurrencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string RepoA = "load/a";
    private const string RepoB = "load/b";
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);
    private static readonly byte[] BaseLayer = TestContent.RandomBytes(3000, 1);

    private readonly RegistryTestHost _host = new()
    {
        Settings = ["--Wharf:GarbageCollection:GracePeriod=00:00:01", "--Wharf:GarbageCollection:SweepBatchSize=5"],
    };

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed record Pushed(string Repository, string Tag, TestImage Manifest, TestImage[] Children);

    private sealed record PushedReferrer(string Repository, TestImage Referrer, string SubjectTag);

    [Fact]
    public async Task Pushes_and_deletes_during_thirty_collections_lose_nothing_acknowledged_and_leave_nothing_eligible()
    {
        using var client = _host.CreateClient();
        var live = new List<Pushed>();
        var referrers = new List<PushedReferrer>();
        var retries = 0;
        var pushes = 0;
        using var stop = new CancellationTokenSource();

        var pusher = Task.Run(async () =>
        {
            var history = new List<Pushed>();
            // Layers of images deleted a while ago (older than the grace period, so likely eligible): new images take
            // them up, and the HEAD that finds one races with the sweep that takes it.
            var abandoned = new Queue<(byte[] Layer, DateTime Since)>();
            var keep = new HashSet<Pushed>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var repository = i % 3 == 1 ? RepoB : RepoA;
                byte[]? revived = null;
                if (i % 2 == 1 && abandoned.TryPeek(out var oldest) && DateTime.UtcNow - oldest.Since > Grace * 1.2)
                    revived = abandoned.Dequeue().Layer;
                Pushed pushed;
                if (i % 5 == 2)
                {
                    TestImage[] children = [Image($"c{i}-amd64", BaseLayer, LayerOf(i)), Image($"c{i}-arm64", LayerOf(i - 1), LayerOf(i))];
                    var index = TestContent.Index(children);
                    while (!await TryPushAsync(client, repository, children, index, $"v{i}")) retries++;
                    pushed = new Pushed(repository, $"v{i}", index, children);
                }
                else
                {
                    var image = revived is null ? Image($"img{i}", BaseLayer, LayerOf(i)) : Image($"img{i}", BaseLayer, LayerOf(i), revived);
                    while (!await TryPushAsync(client, repository, [], image, $"v{i}")) retries++;
                    pushed = new Pushed(repository, $"v{i}", image, []);
                }
                lock (live) live.Add(pushed);
                history.Add(pushed);
                pushes++;
                if (revived is not null || i % 4 == 1) keep.Add(pushed); // what took up an old layer is checked at the end

                if (i % 6 == 0 && pushed.Children.Length == 0)
                {
                    var referrer = Referrer(pushed.Manifest, TestContent.RandomBytes(200, 5000 + i));
                    while (!await TryPushAsync(client, repository, [], referrer, referrer.Digest)) retries++;
                    lock (live) referrers.Add(new PushedReferrer(repository, referrer, pushed.Tag));
                }

                // Delete an older image: by digest (the manifest goes) or by tag (it stays, untagged).
                if (i >= 3 && !keep.Contains(history[i - 3]))
                {
                    var old = history[i - 3];
                    lock (live) live.Remove(old);
                    var reference = i % 2 == 0 ? old.Manifest.Digest : old.Tag;
                    using var delete = await client.DeleteAsync($"/v2/{old.Repository}/manifests/{reference}");
                    Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
                    if (old.Children.Length == 0 && old.Manifest.Blobs.Count == 3) abandoned.Enqueue((old.Manifest.Blobs[2], DateTime.UtcNow));
                }
            }
        });

        var runs = new List<GcRunRecord>();
        var collector = Collector(_host);
        var clock = Stopwatch.StartNew();
        for (var k = 0; k < 30 || clock.Elapsed < TimeSpan.FromSeconds(10); k++)
        {
            if (pusher.IsCompleted) break;
            GcRunResult result;
            if (k % 3 == 0)
            {
                var preview = await collector.PreviewAsync(deleteUntagged: true, RegistryCaller.System, CancellationToken.None);
                Assert.Equal(GcRunState.Completed, preview.Run.State);
                await Task.Delay(400); // someone reviews the report while pushes go on, some taking up what it lists
                result = await collector.CollectAsync(preview.Run.Id, RegistryCaller.System, CancellationToken.None);
            }
            else
            {
                result = await collector.RunAsync(deleteUntagged: k % 2 == 0, RegistryCaller.System, CancellationToken.None);
            }
            Assert.True(result.Run.State == GcRunState.Completed, result.Run.Error);
            runs.Add(result.Run);
            await Task.Delay(50);
        }
        stop.Cancel();
        await pusher; // surfaces any failed push or delete

        output.WriteLine($"{runs.Count} collections in {clock.Elapsed.TotalSeconds:F1} s: {pushes} images pushed, {live.Count} live; deleted {runs.Sum(r => r.DeletedManifests)} manifests and " +
                         $"{runs.Sum(r => r.DeletedBlobs)} blobs ({runs.Sum(r => r.FreedBytes)} bytes), {runs.Sum(r => r.KeptOnRecheck)} kept on re-check; {retries} pushes retried");
        Assert.True(runs.Count >= 30);
        Assert.True(runs.Sum(r => r.DeletedManifests) > 0 && runs.Sum(r => r.DeletedBlobs) > 0, "the collections had something to do while the pushes went on");

        // Every acknowledged image that was not deleted pulls completely, byte for byte, before and after a last run.
        var needed = new HashSet<string>();
        foreach (var image in live) needed.UnionWith(await PullCompletelyAsync(client, image.Repository, image.Tag));
        await Task.Delay(Grace + TimeSpan.FromMilliseconds(200));
        var last = await collector.RunAsync(deleteUntagged: true, RegistryCaller.System, CancellationToken.None);
        Assert.Equal(GcRunState.Completed, last.Run.State);
        foreach (var image in live) await PullCompletelyAsync(client, image.Repository, image.Tag);

        // And every eligible byte is gone: the store holds exactly what the live tags and their referrers need.
        var liveTags = live.Select(p => (p.Repository, p.Tag)).ToHashSet();
        foreach (var referrer in referrers.Where(r => liveTags.Contains((r.Repository, r.SubjectTag))))
            needed.UnionWith(referrer.Referrer.Blobs.Select(Digests.Sha256).Append(referrer.Referrer.Digest));
        Assert.Equal(needed.Order(), BlobFiles(_host.RootDirectory).Order());
        await AssertStoreConsistentAsync(_host);
    }

    private static byte[] LayerOf(int i) => TestContent.RandomBytes(1000 + (i + 500) % 500, 100_000 + i);

    /// <summary>
    /// Pushes as a client does: each blob only if a HEAD does not find it (mounting from the other repository when it
    /// can), then the manifest. False when the manifest was refused because a blob the HEAD found was collected before
    /// the manifest arrived: the client pushes again, as docker and skopeo do.
    /// </summary>
    private static async Task<bool> TryPushAsync(HttpClient client, string repository, TestImage[] children, TestImage manifest, string reference)
    {
        foreach (var child in children)
            if (!await TryPushAsync(client, repository, [], child, child.Digest)) return false;
        foreach (var blob in manifest.Blobs)
        {
            var digest = Digests.Sha256(blob);
            using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}")))
                if (head.StatusCode == HttpStatusCode.OK) continue;
            var other = repository == RepoA ? RepoB : RepoA;
            using (var mount = await client.PostAsync($"/v2/{repository}/blobs/uploads/?mount={digest}&from={other}", null))
            {
                if (mount.StatusCode == HttpStatusCode.Created) continue;
                Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
                using var put = await client.PutAsync(RegistryClient.WithQuery(RegistryClient.Location(mount), "digest=" + digest), RegistryClient.Bytes(blob));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }
        }
        using var response = await client.PutManifestAsync(repository, reference, manifest.Manifest, manifest.MediaType);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        return false;
    }
}
