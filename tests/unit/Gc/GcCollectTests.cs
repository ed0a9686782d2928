using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry;
using Wharf.Registry.Events;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>
/// Collecting: a reviewed preview's items are deleted only when still eligible, bytes leave the disk, the metadata and
/// the store stay in step (also after a sweep that died), and every run is recorded, observable and cancellable.
/// Content is backdated a day and the grace period is an hour, so "young" and "old" are both under the test's control.
/// </summary>
public sealed class GcCollectTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new()
    {
        Settings = ["--Wharf:GarbageCollection:GracePeriod=01:00:00", "--Wharf:GarbageCollection:SweepBatchSize=7"],
    };
    private readonly KnownGraph _graph = new();
    private HttpClient _client = null!;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        await _graph.PushAsync(_client, _host.RootDirectory);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private Task<GcRunResult> PreviewAsync(bool deleteUntagged = true) =>
        Collector(_host).PreviewAsync(deleteUntagged, RegistryCaller.System, CancellationToken.None);

    private Task<GcRunResult> CollectAsync(long previewId) =>
        Collector(_host).CollectAsync(previewId, new RegistryCaller("bob", null), CancellationToken.None);

    [Fact]
    public async Task Nothing_younger_than_the_grace_period_is_eligible()
    {
        var young = await PreviewAsync();
        Assert.Empty(young.Mark!.Manifests);
        Assert.Empty(young.Mark.Blobs);

        await AgeEverythingAsync(_host, Day);
        var old = await PreviewAsync();
        Assert.Equal(_graph.EligibleManifestsUntagged().Count, old.Mark!.Manifests.Count);
        Assert.Equal(_graph.EligibleBlobsUntagged().Order(), old.Mark.Blobs.Select(b => b.Digest).Order());

        // Each clock alone protects: a re-linked blob, a re-pushed manifest, a freshly written stray file.
        await _client.PushBlobAsync(KnownGraph.App, KnownGraph.Unused);
        await _client.PushManifestAsync(KnownGraph.App, _graph.UntaggedIndex.Digest, _graph.UntaggedIndex.Manifest, _graph.UntaggedIndex.MediaType);
        File.SetLastWriteTimeUtc(BlobPath(_host.RootDirectory, Digests.Sha256(KnownGraph.Stray)), DateTime.UtcNow);
        var after = await PreviewAsync();
        var blobs = after.Mark!.Blobs.Select(b => b.Digest).ToHashSet();
        Assert.DoesNotContain(Digests.Sha256(KnownGraph.Unused), blobs);
        Assert.DoesNotContain(Digests.Sha256(KnownGraph.Stray), blobs);
        Assert.DoesNotContain(_graph.UntaggedIndex.Digest, after.Mark.Manifests.Select(m => m.Digest));
        // The re-pushed index keeps its child and their blobs.
        Assert.DoesNotContain(_graph.UntaggedChild.Digest, after.Mark.Manifests.Select(m => m.Digest));
        Assert.DoesNotContain(Digests.Sha256(KnownGraph.Luc), blobs);
    }

    [Fact]
    public async Task Collect_deletes_what_the_preview_listed_frees_the_bytes_and_every_tag_still_pulls()
    {
        await AgeEverythingAsync(_host, Day);
        var preview = await PreviewAsync();
        var bytesBefore = BlobBytes(_host.RootDirectory);

        var collect = await CollectAsync(preview.Run.Id);

        var run = collect.Run;
        Assert.Equal((GcRunState.Completed, GcMode.Collect, preview.Run.Id, true, "bob"), (run.State, run.Mode, run.PreviewRunId, run.DeleteUntagged, run.RequestedBy));
        Assert.Equal((5, _graph.EligibleBlobsUntagged().Count, 0), (run.DeletedManifests, run.DeletedBlobs, run.KeptOnRecheck));
        Assert.Equal(preview.Run.ReclaimableBytes, run.FreedBytes);
        Assert.Equal(bytesBefore - run.FreedBytes, BlobBytes(_host.RootDirectory));
        Assert.Empty(BlobFiles(_host.RootDirectory).Intersect(_graph.EligibleBlobsUntagged()));
        foreach (var (repository, tag) in KnownGraph.Tags) await PullCompletelyAsync(_client, repository, tag);
        using (var referrers = await _client.GetAsync($"/v2/{KnownGraph.App}/referrers/{_graph.Img1.Digest}"))
            Assert.Contains(_graph.Signature.Digest, await referrers.Content.ReadAsStringAsync());
        using (var gone = await _client.GetAsync($"/v2/{KnownGraph.App}/manifests/{_graph.Untagged.Digest}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await AssertStoreConsistentAsync(_host);

        var stored = await WithDbAsync(_host, db => db.GcItems.Where(i => i.RunId == run.Id).ToListAsync());
        Assert.All(stored, i => Assert.Equal(GcItemOutcome.Deleted, i.Outcome));
        Assert.Empty((await PreviewAsync()).Mark!.Blobs);
    }

    [Fact]
    public async Task Collect_leaves_what_is_in_use_again_since_the_preview()
    {
        await AgeEverythingAsync(_host, Day);
        var preview = await PreviewAsync();
        Assert.Contains(preview.Mark!.Blobs, b => b.Digest == Digests.Sha256(KnownGraph.Unused));

        // Since the review: the untagged image got a tag (so its referrer is a referrer of a kept image now), a new
        // manifest references the unreferenced upload (only its config is uploaded: the layer is already linked, so
        // nothing but the reference protects it), and a deleted image's layer was uploaded again (a push in progress).
        await _client.PushManifestAsync(KnownGraph.App, "revived", _graph.Untagged.Manifest, _graph.Untagged.MediaType);
        var user = Image("user-of-unused", KnownGraph.Unused);
        await _client.PushBlobAsync(KnownGraph.App, user.Blobs[0]);
        await _client.PushManifestAsync(KnownGraph.App, "new", user.Manifest, user.MediaType);
        await _client.PushBlobAsync(KnownGraph.App, KnownGraph.Ld);

        var collect = await CollectAsync(preview.Run.Id);

        string[] keptManifests = [_graph.Untagged.Digest, _graph.OrphanReferrer.Digest];
        string[] keptBlobs =
        [
            _graph.Untagged.Digest, ConfigDigest(_graph.Untagged), _graph.OrphanReferrer.Digest, Digests.Sha256(KnownGraph.Sbom2),
            Digests.Sha256(KnownGraph.Unused), Digests.Sha256(KnownGraph.Ld),
        ];
        var files = BlobFiles(_host.RootDirectory);
        Assert.All(keptBlobs, d => Assert.Contains(d, files));
        var items = await WithDbAsync(_host, db => db.GcItems.Where(i => i.RunId == collect.Run.Id).ToListAsync());
        Assert.Equal(keptManifests.Order(), items.Where(i => i.Kind == GcItemKind.Manifest && i.Outcome == GcItemOutcome.Kept).Select(i => i.Digest).Order());
        Assert.Equal(keptBlobs.Order(), items.Where(i => i.Kind == GcItemKind.Blob && i.Outcome == GcItemOutcome.Kept).Select(i => i.Digest).Order());
        Assert.All(items.Where(i => i.Outcome != GcItemOutcome.Kept), i => Assert.Equal(GcItemOutcome.Deleted, i.Outcome));
        Assert.Equal(keptManifests.Length + keptBlobs.Length, collect.Run.KeptOnRecheck);
        Assert.DoesNotContain(_graph.UntaggedIndex.Digest, files);
        await PullCompletelyAsync(_client, KnownGraph.App, "revived");
        await PullCompletelyAsync(_client, KnownGraph.App, "new");
        using (var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{KnownGraph.App}/blobs/{Digests.Sha256(KnownGraph.Ld)}"))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await AssertStoreConsistentAsync(_host);
    }

    [Fact]
    public async Task A_sweep_that_died_half_way_is_finished_by_the_next_run()
    {
        await AgeEverythingAsync(_host, Day);
        var preview = await PreviewAsync(deleteUntagged: false);
        // What a process killed inside a sweep transaction leaves: files already deleted, their rows rolled back.
        foreach (var digest in new[] { _graph.Deleted.Digest, Digests.Sha256(KnownGraph.Ld) })
            Directory.Delete(Path.GetDirectoryName(BlobPath(_host.RootDirectory, digest))!, recursive: true);
        using (var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{KnownGraph.App}/blobs/{Digests.Sha256(KnownGraph.Ld)}"))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);

        var next = await Collector(_host).RunAsync(deleteUntagged: false, RegistryCaller.System, CancellationToken.None);

        Assert.True(next.Run.State == GcRunState.Completed, next.Run.Error);
        Assert.Equal(_graph.EligibleBlobs().Order(), next.Mark!.Blobs.Select(b => b.Digest).Order());
        Assert.Equal(_graph.EligibleBlobs().Count, next.Run.DeletedBlobs);
        await AssertStoreConsistentAsync(_host);
        Assert.Equal(preview.Run.ReclaimableBytes - _graph.Deleted.Manifest.Length - KnownGraph.Ld.Length, next.Run.FreedBytes);
        foreach (var (repository, tag) in KnownGraph.Tags) await PullCompletelyAsync(_client, repository, tag);
    }

    [Fact]
    public async Task A_manifest_naming_a_linked_blob_whose_file_is_gone_is_refused()
    {
        // The link survives a sweep that died before its commit, but the file is gone: acknowledging this push would
        // publish an image that cannot be pulled.
        File.Delete(BlobPath(_host.RootDirectory, Digests.Sha256(KnownGraph.L1)));
        var image = Image("needs-l1", KnownGraph.L1);
        await _client.PushBlobAsync(KnownGraph.App, image.Blobs[0]);
        using var put = await _client.PutManifestAsync(KnownGraph.App, "broken", image.Manifest, image.MediaType);
        var error = await RegistryClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Contains(Digests.Sha256(KnownGraph.L1), error.Message);

        await _client.PushBlobAsync(KnownGraph.App, KnownGraph.L1); // the client uploads it again, and all is well
        await _client.PushManifestAsync(KnownGraph.App, "broken", image.Manifest, image.MediaType);
        await PullCompletelyAsync(_client, KnownGraph.App, "broken");
        await PullCompletelyAsync(_client, KnownGraph.App, "1");
    }

    [Fact]
    public async Task Abandoned_upload_sessions_are_purged_in_the_same_run()
    {
        var location = await _client.StartUploadAsync(KnownGraph.App);
        var id = Guid.Parse(location.Split('?')[0].TrimEnd('/').Split('/').Last());
        await WithDbAsync(_host, db => db.UploadSessions.Where(s => s.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.UpdatedAt, DateTime.UtcNow.AddDays(-30))));

        var preview = await PreviewAsync();
        Assert.Equal(1, preview.Run.PurgedUploads);
        Assert.True(await WithDbAsync(_host, db => db.UploadSessions.AnyAsync(s => s.Id == id)));

        var run = await Collector(_host).RunAsync(deleteUntagged: false, RegistryCaller.System, CancellationToken.None);
        Assert.Equal(1, run.Run.PurgedUploads);
        Assert.False(await WithDbAsync(_host, db => db.UploadSessions.AnyAsync(s => s.Id == id)));
        Assert.False(Directory.Exists(Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "uploads", id.ToString("D"))));
    }

    [Fact]
    public async Task Progress_is_observable_a_run_can_be_cancelled_and_every_run_is_recorded_and_announced()
    {
        var unused = Enumerable.Range(0, 120).Select(i => TestContent.RandomBytes(100 + i, i)).ToList();
        foreach (var blob in unused) await _client.PushBlobAsync("bulk/uploads", blob);
        await AgeEverythingAsync(_host, Day);
        using var announced = new EventKinds(_host);
        var collector = Collector(_host);

        var seen = new List<GcProgress>();
        Task? second = null;
        var cancelAccepted = false;
        void Observe(GcProgress p)
        {
            lock (seen) seen.Add(p);
            if (p.Phase == GcPhase.SweepingBlobs && p.Done >= 40 && second is null)
            {
                second = collector.PreviewAsync(false, RegistryCaller.System, CancellationToken.None); // refused: one runs
                cancelAccepted = collector.Cancel() && collector.Progress is not null;
            }
        }
        collector.ProgressChanged += Observe;
        GcRunResult cancelled;
        try
        {
            cancelled = await collector.RunAsync(false, new RegistryCaller("carol", null), CancellationToken.None);
        }
        finally
        {
            collector.ProgressChanged -= Observe;
        }

        await Assert.ThrowsAsync<GcBusyException>(() => second!);
        Assert.True(cancelAccepted);
        Assert.Null(collector.Progress);
        Assert.Equal(GcRunState.Cancelled, cancelled.Run.State);
        var eligible = unused.Count + _graph.EligibleBlobs().Count;
        Assert.InRange(cancelled.Run.DeletedBlobs, 1, eligible - 1);
        var phases = seen.Select(p => p.Phase).Distinct().ToList();
        Assert.Equal([GcPhase.PurgingUploads, GcPhase.Marking, GcPhase.ScanningStore, GcPhase.SweepingManifests, GcPhase.SweepingBlobs, GcPhase.Recording], phases);
        var sweeping = seen.Where(p => p.Phase == GcPhase.SweepingBlobs).ToList();
        Assert.All(sweeping, p => Assert.Equal(eligible, p.Total));
        Assert.True(sweeping.Select(p => p.Done).SequenceEqual(sweeping.Select(p => p.Done).Order()));
        await AssertStoreConsistentAsync(_host);

        var finished = await collector.RunAsync(false, RegistryCaller.System, CancellationToken.None);
        Assert.Equal(eligible - cancelled.Run.DeletedBlobs, finished.Run.DeletedBlobs);
        await AssertStoreConsistentAsync(_host);

        var history = await WithDbAsync(_host, db => new GcReports(db).HistoryAsync(0, 10, CancellationToken.None));
        Assert.Equal([(finished.Run.Id, GcRunState.Completed, "system"), (cancelled.Run.Id, GcRunState.Cancelled, "carol")],
            history.Select(r => (r.Id, r.State, r.RequestedBy)));
        Assert.All(history, r => Assert.True(r.FinishedAt >= r.StartedAt));
        Assert.Equal([RegistryEventKind.GarbageCollectionCancelled, RegistryEventKind.GarbageCollected], announced.Kinds);
    }

    [Fact]
    public async Task Ledger_transactions_on_one_digest_exclude_each_other()
    {
        // The online argument (docs/gc.md) rests on this: a ledger transaction on a digest (SQLite: BEGIN IMMEDIATE,
        // the one write lock; PostgreSQL: an advisory lock on the digest) excludes every other one on that digest, so a
        // sweep step and a writer's check-and-record never interleave.
        const string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        await using var scope1 = _host.Services.CreateAsyncScope();
        await using var scope2 = _host.Services.CreateAsyncScope();
        var ledger1 = scope1.ServiceProvider.GetRequiredService<BlobLedger>();
        var ledger2 = scope2.ServiceProvider.GetRequiredService<BlobLedger>();
        await using var first = await ledger1.LockAsync([digest, "sha256:" + new string('f', 64)], CancellationToken.None);
        var second = Task.Run(async () =>
        {
            await using var t = await ledger2.LockAsync([digest], CancellationToken.None);
            return DateTime.UtcNow;
        });
        await Task.Delay(500);
        Assert.False(second.IsCompleted);
        var released = DateTime.UtcNow;
        await first.CommitAsync();
        Assert.True(await second >= released);
    }

    /// <summary>The engine events of one host, as its metrics count them by kind.</summary>
    private sealed class EventKinds : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<RegistryEventKind> _kinds = [];

        public EventKinds(RegistryTestHost host)
        {
            var factory = host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "wharf.registry.events" && ReferenceEquals(instrument.Meter.Scope, factory)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "kind" && Enum.TryParse<RegistryEventKind>((string)tag.Value!, out var kind) && kind.ToString().StartsWith("Garbage"))
                        lock (_kinds) _kinds.Add(kind);
            });
            _listener.Start();
        }

        public List<RegistryEventKind> Kinds
        {
            get { lock (_kinds) return [.. _kinds]; }
        }

        public void Dispose() => _listener.Dispose();
    }
}
