using System.Net;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>Cross-repository blob mounts, with and without <c>from</c>, into a repository that does not exist yet.</summary>
public sealed class MountTests : RegistryApiTest
{
    private const string Source = "conformance/source";
    private const string Target = "conformance-cross/target";

    private static readonly byte[] Blob = TestContent.RandomBytes(42, 11);
    private static readonly string BlobDigest = Digests.Sha256(Blob);

    [Fact]
    public async Task MountFromSourceIs201WithTheBlobLocation()
    {
        await Client.PushBlobAsync(Source, Blob);
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from={Source}", null);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/{Target}/blobs/{BlobDigest}", Location(mount));
        Assert.Equal(BlobDigest, Header(mount, "Docker-Content-Digest"));

        using var get = await Client.GetAsync(Location(mount));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task MountOfUnknownBlobWithoutFromStartsAnUpload()
    {
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={Digests.Dummy}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        var location = Location(mount);
        Assert.StartsWith($"/v2/{Target}/blobs/uploads/", location);

        // The session is a real one: the blob can be uploaded through it.
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + BlobDigest), Bytes(Blob));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task MountOfUnknownBlobWithFromStartsAnUpload()
    {
        await Client.PushBlobAsync(Source, TestContent.Layer("something else"));
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={Digests.Dummy}&from={Source}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.StartsWith($"/v2/{Target}/blobs/uploads/", Location(mount));
    }

    [Fact]
    public async Task KnownBlobWithoutFromIsMountedAutomatically()
    {
        await Client.PushBlobAsync(Source, Blob);
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}", null);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/{Target}/blobs/{BlobDigest}", Location(mount));

        using var get = await Client.GetAsync($"/v2/{Target}/blobs/{BlobDigest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task MountAgainAfterMountIs201()
    {
        await Client.PushBlobAsync(Source, Blob);
        using var first = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from={Source}", null);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var second = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}", null);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
    }

    [Fact]
    public async Task MountFromARepositoryThatDoesNotHoldTheBlobIs202()
    {
        // The blob exists in the registry, but not in the repository named by from: that must not be a 201.
        await Client.PushBlobAsync(Source, Blob);
        await Client.PushBlobAsync("conformance/empty", TestContent.Layer("unrelated"));
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from=conformance/empty", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.StartsWith($"/v2/{Target}/blobs/uploads/", Location(mount));

        using var get = await Client.GetAsync($"/v2/{Target}/blobs/{BlobDigest}");
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task MountFromAnUnknownRepositoryIs202()
    {
        await Client.PushBlobAsync(Source, Blob);
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from=no/such/repo", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        using var invalid = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from=INVALID", null);
        Assert.Equal(HttpStatusCode.Accepted, invalid.StatusCode);
    }

    [Fact]
    public async Task MountFromASourceWhoseLinkWasDeletedIs202()
    {
        await Client.PushBlobAsync(Source, Blob);
        using var delete = await Client.DeleteAsync($"/v2/{Source}/blobs/{BlobDigest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from={Source}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
    }

    [Fact]
    public async Task MountedBlobsSatisfyAManifest()
    {
        var image = TestContent.Image("mounted");
        await Client.PushImageAsync(Source, "v1", image);
        foreach (var blob in image.Blobs)
        {
            using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={Digests.Sha256(blob)}&from={Source}", null);
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }
        await Client.PushManifestAsync(Target, "v1", image.Manifest, image.MediaType);
    }
    [Fact]
    public async Task AMountThatCannotHappenCreatesNoRepository()
    {
        // The source still lists the blob, but its object is gone from the store: the mount falls back to an upload,
        // and the target repository must not appear until something is committed to it.
        await Client.PushBlobAsync(Source, Blob);
        var hex = BlobDigest["sha256:".Length..];
        File.Delete(Path.Combine(Host.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data"));

        using var mount = await Client.PostAsync($"/v2/{Target}/blobs/uploads/?mount={BlobDigest}&from={Source}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        var repositories = await Wharf.Tests.Unit.Gc.GcTestSupport.WithDbAsync(Host, db => db.Repositories.Select(r => r.Name).ToListAsync());
        Assert.Equal([Source], repositories);
    }
}
