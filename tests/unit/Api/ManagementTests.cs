using System.Net;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>Content management: deleting tags, manifests and blobs, with deletes enabled.</summary>
public sealed class ManagementTests : RegistryApiTest
{
    private const string Repo = "conformance/management";

    private readonly TestImage _image = TestContent.Image("management");

    private async Task<HttpResponseMessage> GetManifestAsync(string reference, HttpMethod? method = null) =>
        await Client.SendAsync(method ?? HttpMethod.Get, $"/v2/{Repo}/manifests/{reference}");

    [Fact]
    public async Task DeletingATagKeepsTheManifest()
    {
        await Client.PushImageAsync(Repo, "tagtest0", _image);
        await Client.PushManifestAsync(Repo, "other", _image.Manifest, _image.MediaType);

        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/tagtest0");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        using var byTag = await GetManifestAsync("tagtest0");
        await AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var byDigest = await GetManifestAsync(_image.Digest);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(_image.Manifest, await byDigest.Content.ReadAsByteArrayAsync());
        Assert.Equal(["other"], await Client.TagsAsync(Repo));
    }

    [Fact]
    public async Task DeletingByDigestRemovesItsTags()
    {
        await Client.PushImageAsync(Repo, "tagtest0", _image);
        await Client.PushManifestAsync(Repo, "alias", _image.Manifest, _image.MediaType);
        var numTags = (await Client.TagsAsync(Repo)).Count;

        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{_image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        using var get = await GetManifestAsync(_image.Digest);
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var head = await GetManifestAsync(_image.Digest, HttpMethod.Head);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var byTag = await GetManifestAsync("alias", HttpMethod.Head);
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);

        // A repository whose last tag went is listed as empty, not as unknown.
        var tags = await Client.TagsAsync(Repo);
        Assert.True(tags.Count < numTags);
        Assert.Empty(tags);
    }

    [Fact]
    public async Task DeletingByDigestLeavesOtherManifestsAndTags()
    {
        var other = TestContent.Image("management-other");
        await Client.PushImageAsync(Repo, "one", _image);
        await Client.PushImageAsync(Repo, "two", other);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{_image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(["two"], await Client.TagsAsync(Repo));
        using var get = await GetManifestAsync("two");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task DeletedManifestCanBePushedAgain()
    {
        await Client.PushImageAsync(Repo, "v1", _image);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{_image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await Client.PushManifestAsync(Repo, "v1", _image.Manifest, _image.MediaType);
        using var get = await GetManifestAsync("v1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(_image.Manifest, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task DeletingWhatIsNotThereIs404()
    {
        await Client.PushImageAsync(Repo, "v1", _image);
        using var unknownDigest = await Client.DeleteAsync($"/v2/{Repo}/manifests/{Digests.Dummy}");
        await AssertErrorAsync(unknownDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var unknownTag = await Client.DeleteAsync($"/v2/{Repo}/manifests/nope");
        await AssertErrorAsync(unknownTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var unknownRepo = await Client.DeleteAsync($"/v2/no/such/manifests/{_image.Digest}");
        Assert.Equal(HttpStatusCode.NotFound, unknownRepo.StatusCode);
        using var unknownBlob = await Client.DeleteAsync($"/v2/{Repo}/blobs/{Digests.Dummy}");
        await AssertErrorAsync(unknownBlob, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task DeletingWithAMalformedDigestIs400()
    {
        using var manifest = await Client.DeleteAsync($"/v2/{Repo}/manifests/sha256:nothex");
        await AssertErrorAsync(manifest, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var blob = await Client.DeleteAsync($"/v2/{Repo}/blobs/sha256:nothex");
        await AssertErrorAsync(blob, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task DeletedBlobIsGoneAtOnce()
    {
        await Client.PushImageAsync(Repo, "v1", _image);
        var config = Digests.Sha256(_image.Blobs[0]);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{config}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        using var get = await Client.GetAsync($"/v2/{Repo}/blobs/{config}");
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var head = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{config}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var again = await Client.DeleteAsync($"/v2/{Repo}/blobs/{config}");
        await AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task DeletedBlobCanBePushedAgain()
    {
        var layer = _image.Blobs[1];
        var digest = await Client.PushBlobAsync(Repo, layer);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        // The conformance push workflow re-pushes a deleted blob with a monolithic POST and, on 201, expects it served.
        using var post = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={digest}", Bytes(layer));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        using var get = await Client.GetAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(layer, await get.Content.ReadAsByteArrayAsync());

        using var deleteAgain = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, deleteAgain.StatusCode);
        await Client.PushBlobAsync(Repo, layer);
        using var getAgain = await Client.GetAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, getAgain.StatusCode);
    }

    [Fact]
    public async Task ManifestNeedsItsDeletedBlobPushedAgain()
    {
        foreach (var blob in _image.Blobs) await Client.PushBlobAsync(Repo, blob);
        var config = Digests.Sha256(_image.Blobs[0]);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{config}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var put = await Client.PutManifestAsync(Repo, "v1", _image.Manifest, _image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await Client.PushBlobAsync(Repo, _image.Blobs[0]);
        await Client.PushManifestAsync(Repo, "v1", _image.Manifest, _image.MediaType);
    }

    [Fact]
    public async Task DeletingABlobInOneRepositoryLeavesItInAnother()
    {
        var layer = _image.Blobs[1];
        var digest = await Client.PushBlobAsync(Repo, layer);
        await Client.PushBlobAsync("conformance/sibling", layer);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var sibling = await Client.GetAsync($"/v2/conformance/sibling/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, sibling.StatusCode);
        Assert.Equal(layer, await sibling.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ManagementWorkflow()
    {
        await Client.PushImageAsync(Repo, "tagtest0", _image);
        var numTags = (await Client.TagsAsync(Repo)).Count;

        using (var tag = await Client.DeleteAsync($"/v2/{Repo}/manifests/tagtest0"))
            Assert.Equal(HttpStatusCode.Accepted, tag.StatusCode);
        using (var manifest = await Client.DeleteAsync($"/v2/{Repo}/manifests/{_image.Digest}"))
            Assert.Equal(HttpStatusCode.Accepted, manifest.StatusCode);
        using (var get = await GetManifestAsync(_image.Digest))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.True((await Client.TagsAsync(Repo)).Count < numTags);
        foreach (var blob in _image.Blobs)
        {
            using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{Digests.Sha256(blob)}");
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        using var config = await Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(_image.Blobs[0])}");
        Assert.Equal(HttpStatusCode.NotFound, config.StatusCode);
    }
}

/// <summary>With storage.delete.enabled false, deletes are refused as UNSUPPORTED and nothing changes.</summary>
public sealed class ManagementWithDeleteDisabledTests() : RegistryApiTest(deleteEnabled: false)
{
    private const string Repo = "conformance/nodelete";

    [Fact]
    public async Task ManifestDeleteIs405Unsupported()
    {
        var image = TestContent.Image("nodelete");
        await Client.PushImageAsync(Repo, "v1", image);

        using var byDigest = await Client.DeleteAsync($"/v2/{Repo}/manifests/{image.Digest}");
        await AssertErrorAsync(byDigest, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        using var byTag = await Client.DeleteAsync($"/v2/{Repo}/manifests/v1");
        await AssertErrorAsync(byTag, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");

        using var get = await Client.GetAsync($"/v2/{Repo}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(["v1"], await Client.TagsAsync(Repo));
    }

    [Fact]
    public async Task BlobDeleteIs405Unsupported()
    {
        var content = TestContent.Layer("nodelete");
        var digest = await Client.PushBlobAsync(Repo, content);
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}");
        await AssertErrorAsync(delete, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        using var get = await Client.GetAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UploadCancelStillWorks()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var cancel = await Client.DeleteAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
    }
}
