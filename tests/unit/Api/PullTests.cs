using System.Net;
using System.Net.Http.Headers;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>The conformance suite's pull workflow: HEAD and GET of blobs and manifests, by tag and by digest.</summary>
public sealed class PullTests : RegistryApiTest
{
    private const string Repo = "conformance/pull";

    private readonly TestImage _tagged = TestContent.Image("pull-0");
    private readonly TestImage _byDigest = TestContent.Image("pull-1");

    private async Task SetupAsync()
    {
        await Client.PushImageAsync(Repo, "tagtest0", _tagged);
        await Client.PushImageAsync(Repo, _byDigest.Digest, _byDigest);
    }

    [Fact]
    public async Task HeadUnknownBlobIs404()
    {
        await SetupAsync();
        using var response = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{Digests.Dummy}");
        await AssertErrorOrHeadAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task GetUnknownBlobIs404BlobUnknown()
    {
        await SetupAsync();
        using var response = await Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Dummy}");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task HeadBlobGivesDigestAndLengthWithoutBody()
    {
        await SetupAsync();
        var config = _tagged.Blobs[0];
        using var response = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{Digests.Sha256(config)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Digests.Sha256(config), Header(response, "Docker-Content-Digest"));
        Assert.Equal(config.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetBlobReturnsTheExactBytes()
    {
        await SetupAsync();
        foreach (var blob in _tagged.Blobs.Concat(_byDigest.Blobs))
        {
            using var response = await Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(blob)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(blob, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(blob.Length, response.Content.Headers.ContentLength);
            Assert.Equal(Digests.Sha256(blob), Header(response, "Docker-Content-Digest"));
            Assert.Equal(OctetStream, response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task BlobOfAnotherRepositoryIsNotVisible()
    {
        await SetupAsync();
        await Client.PushBlobAsync("conformance/other", TestContent.Layer("other"));
        using var response = await Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(TestContent.Layer("other"))}");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task InvalidManifestNameIs404(string method)
    {
        await SetupAsync();
        using var response = await Client.SendAsync(new HttpMethod(method), $"/v2/{Repo}/manifests/.INVALID_MANIFEST_NAME");
        await AssertErrorOrHeadAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task HeadManifestByDigestAndTag()
    {
        await SetupAsync();
        foreach (var (reference, image) in new[] { (_tagged.Digest, _tagged), (_byDigest.Digest, _byDigest), ("tagtest0", _tagged) })
        {
            using var response = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/manifests/{reference}",
                r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(TestContent.OciManifest)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(image.Digest, Header(response, "Docker-Content-Digest"));
            Assert.Equal(TestContent.OciManifest, response.Content.Headers.ContentType?.ToString());
            Assert.Equal(image.Manifest.Length, response.Content.Headers.ContentLength);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task GetManifestByDigestAndTag()
    {
        await SetupAsync();
        foreach (var (reference, image) in new[] { (_tagged.Digest, _tagged), (_byDigest.Digest, _byDigest), ("tagtest0", _tagged) })
        {
            using var response = await Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/manifests/{reference}",
                r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(TestContent.OciManifest)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(image.Manifest, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(image.Digest, Header(response, "Docker-Content-Digest"));
            Assert.Equal(TestContent.OciManifest, response.Content.Headers.ContentType?.ToString());
        }
    }

    [Fact]
    public async Task ManifestPushedByDigestHasNoTag()
    {
        await SetupAsync();
        Assert.Equal(["tagtest0"], await Client.TagsAsync(Repo));
    }

    [Fact]
    public async Task GetManifestWithMalformedDigestIsAnError()
    {
        await SetupAsync();
        // The suite sends a body and a Content-Type with this GET; both must be ignored.
        using var response = await Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/manifests/sha256:totallywrong",
            r => r.Content = Bytes("blablabla"u8.ToArray(), TestContent.OciManifest));
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"got {(int)response.StatusCode}");
        var errors = ParseErrors(await response.Content.ReadAsStringAsync());
        Assert.Contains(errors[0].Code, new[]
        {
            "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN", "MANIFEST_UNVERIFIED", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED",
            "DENIED", "UNSUPPORTED",
        });
    }

    [Fact]
    public async Task UnknownManifestDigestIs404()
    {
        await SetupAsync();
        using var response = await Client.GetAsync($"/v2/{Repo}/manifests/{Digests.Dummy}");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task ManifestOfUnknownRepositoryIs404()
    {
        using var response = await Client.GetAsync($"/v2/nowhere/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TeardownDeletesManifestsThenBlobs()
    {
        await SetupAsync();
        foreach (var image in new[] { _tagged, _byDigest })
        {
            using var response = await Client.DeleteAsync($"/v2/{Repo}/manifests/{image.Digest}");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        foreach (var blob in _tagged.Blobs.Concat(_byDigest.Blobs))
        {
            using var response = await Client.DeleteAsync($"/v2/{Repo}/blobs/{Digests.Sha256(blob)}");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        using var gone = await Client.GetAsync($"/v2/{Repo}/manifests/tagtest0");
        await AssertErrorAsync(gone, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }
}
