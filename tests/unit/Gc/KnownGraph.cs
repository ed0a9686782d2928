using System.Net;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>
/// A registry's worth of cases, pushed through the API: images sharing layers, an untagged manifest, a deleted one, a
/// tagged multi-platform index, an untagged index, referrers of a kept and of an untagged image, the same manifest in a
/// second repository, an unreferenced upload, a stray file, and a blob record whose file is gone.
/// </summary>
public sealed class KnownGraph
{
    public const string App = "shop/app";
    public const string Tool = "other/tool";

    public static readonly byte[] Shared = TestContent.Layer("shared");
    public static readonly byte[] L1 = TestContent.Layer("l1");
    public static readonly byte[] L2 = TestContent.Layer("l2");
    public static readonly byte[] Lu = TestContent.Layer("lu");
    public static readonly byte[] Ld = TestContent.Layer("ld");
    public static readonly byte[] La = TestContent.Layer("la");
    public static readonly byte[] Lb = TestContent.Layer("lb");
    public static readonly byte[] Luc = TestContent.Layer("luc");
    public static readonly byte[] L3 = TestContent.Layer("l3");
    public static readonly byte[] Sbom = TestContent.Layer("sbom of img1");
    public static readonly byte[] Sbom2 = TestContent.Layer("sbom of u");
    public static readonly byte[] Unused = TestContent.Layer("uploaded, never referenced");
    public static readonly byte[] Stray = TestContent.Layer("renamed into place, then the process died");
    public static readonly byte[] Lost = TestContent.Layer("its file was lost");

    public TestImage Img1 { get; } = Image("img1", Shared, L1);
    public TestImage Img2 { get; } = Image("img2", Shared, L2);
    public TestImage Untagged { get; } = Image("untagged", Shared, Lu);
    public TestImage Deleted { get; } = Image("deleted", Shared, Ld);
    public TestImage ChildA { get; } = Image("child-a", La);
    public TestImage ChildB { get; } = Image("child-b", Lb);
    public TestImage Multi { get; }
    public TestImage UntaggedChild { get; } = Image("untagged-child", Luc);
    public TestImage UntaggedIndex { get; }
    public TestImage Signature { get; }
    public TestImage OrphanReferrer { get; }
    public TestImage Img3 { get; } = Image("img3", Lu, L3);

    public KnownGraph()
    {
        Multi = TestContent.Index([ChildA, ChildB]);
        UntaggedIndex = TestContent.Index([UntaggedChild]);
        Signature = Referrer(Img1, Sbom);
        OrphanReferrer = Referrer(Untagged, Sbom2);
    }

    public async Task PushAsync(HttpClient client, string root)
    {
        await client.PushImageAsync(App, "1", Img1);
        await client.PushImageAsync(App, "2", Img2);
        await client.PushImageAsync(App, Untagged.Digest, Untagged);
        await client.PushImageAsync(App, "old", Deleted);
        using (var delete = await client.DeleteAsync($"/v2/{App}/manifests/{Deleted.Digest}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await client.PushImageAsync(App, ChildA.Digest, ChildA);
        await client.PushImageAsync(App, ChildB.Digest, ChildB);
        await client.PushImageAsync(App, "multi", Multi);
        await client.PushImageAsync(App, UntaggedChild.Digest, UntaggedChild);
        await client.PushImageAsync(App, UntaggedIndex.Digest, UntaggedIndex);
        await client.PushImageAsync(App, Signature.Digest, Signature);
        await client.PushImageAsync(App, OrphanReferrer.Digest, OrphanReferrer);
        await client.PushBlobAsync(App, Unused);
        await client.PushBlobAsync(App, Lost);
        File.Delete(BlobPath(root, Digests.Sha256(Lost)));

        await client.PushImageAsync(Tool, "3", Img3);
        await client.PushImageAsync(Tool, Img2.Digest, Img2); // the same manifest, untagged here
        WriteStrayBlob(root, Stray);
    }

    /// <summary>Eligible without --delete-untagged: only what no manifest row references.</summary>
    public HashSet<string> EligibleBlobs() =>
    [
        Deleted.Digest, ConfigDigest(Deleted), Digests.Sha256(Ld),
        Digests.Sha256(Unused), Digests.Sha256(Stray), Digests.Sha256(Lost),
    ];

    /// <summary>
    /// Eligible under --delete-untagged: the untagged image and its referrer, the untagged index and its child, and the
    /// second repository's untagged copy of img2 (whose bytes stay: img2 is tagged in the first).
    /// </summary>
    public HashSet<(string Repository, string Digest)> EligibleManifestsUntagged() =>
    [
        (App, Untagged.Digest), (App, OrphanReferrer.Digest), (App, UntaggedIndex.Digest), (App, UntaggedChild.Digest),
        (Tool, Img2.Digest),
    ];

    /// <summary>
    /// Blobs eligible under --delete-untagged: the above, plus what only those manifests hold. Not the untagged image's
    /// layer Lu (img3 in the other repository uses it), not the shared layer, not the empty config (the kept signature
    /// uses it), and nothing of the tagged index's children.
    /// </summary>
    public HashSet<string> EligibleBlobsUntagged() =>
    [
        .. EligibleBlobs(),
        Untagged.Digest, ConfigDigest(Untagged),
        OrphanReferrer.Digest, Digests.Sha256(Sbom2),
        UntaggedIndex.Digest, UntaggedChild.Digest, ConfigDigest(UntaggedChild), Digests.Sha256(Luc),
    ];

    /// <summary>Every tag that must keep pulling.</summary>
    public static readonly (string Repository, string Tag)[] Tags = [(App, "1"), (App, "2"), (App, "multi"), (Tool, "3")];
}
