using Wharf.Registry;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>The mark over a known graph: exactly the expected manifests and blobs are eligible, and the report says what they are.</summary>
public sealed class GcMarkTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new() { Settings = [NoGrace] };
    private readonly KnownGraph _graph = new();

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        using var client = _host.CreateClient();
        await _graph.PushAsync(client, _host.RootDirectory);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Without_delete_untagged_only_unreferenced_blobs_are_eligible()
    {
        var result = await Collector(_host).PreviewAsync(deleteUntagged: false, RegistryCaller.System, CancellationToken.None);

        Assert.True(GcRunState.Completed == result.Run.State, result.Run.Error);
        var mark = result.Mark!;
        Assert.Empty(mark.Manifests);
        Assert.Equal(_graph.EligibleBlobs().Order(), mark.Blobs.Select(b => b.Digest).Order());
    }

    [Fact]
    public async Task With_delete_untagged_untagged_manifests_go_but_never_index_children_or_referrers_of_kept_images()
    {
        var result = await Collector(_host).PreviewAsync(deleteUntagged: true, RegistryCaller.System, CancellationToken.None);

        var mark = result.Mark!;
        Assert.Equal(_graph.EligibleManifestsUntagged().Order(), mark.Manifests.Select(m => (m.Repositories.Single(), m.Digest)).Order());
        Assert.Equal(_graph.EligibleBlobsUntagged().Order(), mark.Blobs.Select(b => b.Digest).Order());
        // Spelled out, the cases the reference registry gets wrong or that are easy to get wrong:
        var manifests = mark.Manifests.Select(m => m.Digest).ToHashSet();
        Assert.DoesNotContain(_graph.ChildA.Digest, manifests);
        Assert.DoesNotContain(_graph.ChildB.Digest, manifests);
        Assert.DoesNotContain(_graph.Signature.Digest, manifests);
        var blobs = mark.Blobs.Select(b => b.Digest).ToHashSet();
        Assert.DoesNotContain(Digests.Sha256(KnownGraph.La), blobs);
        Assert.DoesNotContain(Digests.Sha256(KnownGraph.Lu), blobs);
        Assert.DoesNotContain(_graph.Img2.Digest, blobs);
        Assert.DoesNotContain(TestContent.EmptyJsonDigest, blobs);
    }

    [Fact]
    public async Task The_report_lists_digest_media_type_size_repositories_and_totals_and_is_stored()
    {
        var result = await Collector(_host).PreviewAsync(deleteUntagged: true, new RegistryCaller("alice", "10.0.0.7"), CancellationToken.None);
        var mark = result.Mark!;
        var byDigest = mark.Blobs.ToDictionary(b => b.Digest);

        var config = byDigest[ConfigDigest(_graph.Untagged)];
        Assert.Equal((TestContent.OciConfig, (long)_graph.Untagged.Blobs[0].Length, KnownGraph.App, GcItemReason.Unreferenced),
            (config.MediaType, config.Size, string.Join(',', config.Repositories), config.Reason));
        var stray = byDigest[Digests.Sha256(KnownGraph.Stray)];
        Assert.Equal((null, (long)KnownGraph.Stray.Length, 0, GcItemReason.NotInMetadata), (stray.MediaType, stray.Size, stray.Repositories.Count, stray.Reason));
        var lost = byDigest[Digests.Sha256(KnownGraph.Lost)];
        Assert.Equal((GcItemReason.FileMissing, 0L), (lost.Reason, lost.ReclaimableBytes));
        var copy = mark.Manifests.Single(m => m.Repositories[0] == KnownGraph.Tool);
        Assert.Equal((_graph.Img2.Digest, TestContent.OciManifest, (long)_graph.Img2.Manifest.Length), (copy.Digest, copy.MediaType, copy.Size));

        var expectedBytes = mark.Blobs.Where(b => b.Reason != GcItemReason.FileMissing).Sum(b => b.Size);
        Assert.True(expectedBytes > 0);
        Assert.Equal(expectedBytes, mark.ReclaimableBytes);
        var run = result.Run;
        Assert.Equal((GcMode.Preview, true, "alice", 5, mark.Blobs.Count, expectedBytes),
            (run.Mode, run.DeleteUntagged, run.RequestedBy, run.EligibleManifests, run.EligibleBlobs, run.ReclaimableBytes));

        var stored = await WithDbAsync(_host, db => new GcReports(db).LoadItemsAsync(run.Id, CancellationToken.None));
        Assert.Equal(mark.Manifests.Concat(mark.Blobs).Select(i => (i.Kind, i.Digest, i.MediaType, i.Size, string.Join(',', i.Repositories), i.Reason)),
            stored.Select(i => (i.Kind, i.Digest, i.MediaType, i.Size, string.Join(',', i.Repositories), i.Reason)));
        // A preview deletes nothing.
        Assert.All(_graph.EligibleBlobsUntagged().Where(d => d != Digests.Sha256(KnownGraph.Lost)),
            d => Assert.True(File.Exists(BlobPath(_host.RootDirectory, d)), d));
    }
}
