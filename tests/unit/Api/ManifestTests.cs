using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>Manifest push and pull: the formats, byte-for-byte storage, and every way a push can be refused.</summary>
public sealed class ManifestTests : RegistryApiTest
{
    private const string Repo = "conformance/manifests";

    private static readonly string[] AllManifestTypes =
        [TestContent.OciIndex, TestContent.OciManifest, TestContent.DockerManifestList, TestContent.DockerManifest];

    private async Task<HttpResponseMessage> GetManifestAsync(HttpMethod method, string reference) =>
        await Client.SendAsync(method, $"/v2/{Repo}/manifests/{reference}", r =>
        {
            foreach (var type in AllManifestTypes) r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        });

    /// <summary>GET and HEAD by tag (when given) and by digest serve exactly what was pushed.</summary>
    private async Task AssertServedAsync(TestImage image, string? tag = null)
    {
        foreach (var reference in tag is null ? [image.Digest] : new[] { tag, image.Digest })
        {
            using var get = await GetManifestAsync(HttpMethod.Get, reference);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());
            Assert.Equal(image.MediaType, get.Content.Headers.ContentType?.ToString());
            Assert.Equal(image.Manifest.Length, get.Content.Headers.ContentLength);
            Assert.Equal(image.Digest, Header(get, "Docker-Content-Digest"));

            using var head = await GetManifestAsync(HttpMethod.Head, reference);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            Assert.Equal(image.MediaType, head.Content.Headers.ContentType?.ToString());
            Assert.Equal(image.Manifest.Length, head.Content.Headers.ContentLength);
            Assert.Equal(image.Digest, Header(head, "Docker-Content-Digest"));
        }
    }

    private async Task AssertNotServedAsync(string reference)
    {
        using var get = await GetManifestAsync(HttpMethod.Get, reference);
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task OciManifestIsStoredByteForByte()
    {
        var image = TestContent.Image("oci");
        // The test data must really exercise byte-for-byte storage: tabs and fields the spec does not define.
        var text = Encoding.UTF8.GetString(image.Manifest);
        Assert.Contains("\t", text);
        Assert.Contains("\"newUnspecifiedField\": null", text);
        Assert.Contains("\"data\":", text);

        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{Repo}/manifests/{image.Digest}", Location(put));
        Assert.Equal(image.Digest, Header(put, "Docker-Content-Digest"));
        Assert.Null(Header(put, "OCI-Subject"));
        await AssertServedAsync(image, "v1");

        using var byLocation = await Client.GetAsync(Location(put));
        Assert.Equal(image.Manifest, await byLocation.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task RepeatedPutsOfTheSameManifestAre201()
    {
        var image = TestContent.Image("repeat");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        for (var i = 0; i < 4; i++)
        {
            using var put = await Client.PutManifestAsync(Repo, $"test{i}", image.Manifest, image.MediaType);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.False(string.IsNullOrEmpty(Location(put)));
        }
        Assert.Equal(["test0", "test1", "test2", "test3"], await Client.TagsAsync(Repo));
        await AssertServedAsync(image, "test3");
    }

    [Fact]
    public async Task RetaggingMovesTheTag()
    {
        var first = TestContent.Image("first");
        var second = TestContent.Image("second");
        await Client.PushImageAsync(Repo, "latest", first);
        await Client.PushImageAsync(Repo, "latest", second);
        await AssertServedAsync(second, "latest");
        await AssertServedAsync(first);
    }

    [Fact]
    public async Task ManifestWithoutContentTypeTakesItsOwnMediaType()
    {
        var image = TestContent.DockerImage("no-content-type");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutAsync($"/v2/{Repo}/manifests/v1", new ByteArrayContent(image.Manifest));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertServedAsync(image, "v1");
    }

    [Fact]
    public async Task ManifestWithoutMediaTypeAndWithoutLayers()
    {
        var config = TestContent.Config("empty-layer");
        var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config), [], [config], mediaType: null);
        Assert.DoesNotContain("mediaType\": \"application/vnd.oci.image.manifest", Encoding.UTF8.GetString(image.Manifest));
        await Client.PushImageAsync(Repo, "emptylayer", image);
        await AssertServedAsync(image, "emptylayer");
    }

    [Fact]
    public async Task OciIndexIsStoredByteForByte()
    {
        var amd64 = TestContent.Image("amd64");
        var arm64 = TestContent.Image("arm64");
        await Client.PushImageAsync(Repo, amd64.Digest, amd64);
        await Client.PushImageAsync(Repo, arm64.Digest, arm64);
        var index = TestContent.Index([amd64, arm64], customize: i => i["annotations"] = TestContent.Annotations(("org.example", "value")));
        await Client.PushManifestAsync(Repo, "multi", index.Manifest, index.MediaType);
        await AssertServedAsync(index, "multi");
    }

    [Fact]
    public async Task NestedAndEmptyIndexes()
    {
        var image = TestContent.Image("nested");
        await Client.PushImageAsync(Repo, image.Digest, image);
        var inner = TestContent.Index([image]);
        await Client.PushManifestAsync(Repo, inner.Digest, inner.Manifest, inner.MediaType);
        var outer = TestContent.Index([inner]);
        await Client.PushManifestAsync(Repo, "nested", outer.Manifest, outer.MediaType);
        await AssertServedAsync(outer, "nested");

        var empty = TestContent.Index([]);
        await Client.PushManifestAsync(Repo, "empty", empty.Manifest, empty.MediaType);
        await AssertServedAsync(empty, "empty");
    }

    [Fact]
    public async Task DockerSchema2ManifestAndListKeepTheirMediaTypes()
    {
        var amd64 = TestContent.DockerImage("docker-amd64");
        var arm64 = TestContent.DockerImage("docker-arm64");
        await Client.PushImageAsync(Repo, "docker-amd64", amd64);
        await Client.PushImageAsync(Repo, arm64.Digest, arm64);
        await AssertServedAsync(amd64, "docker-amd64");

        var list = TestContent.Index([amd64, arm64], TestContent.DockerManifestList);
        await Client.PushManifestAsync(Repo, "docker-list", list.Manifest, list.MediaType);
        await AssertServedAsync(list, "docker-list");
    }

    [Fact]
    public async Task ArtifactManifestWithEmptyConfig()
    {
        var payload = TestContent.Layer("artifact");
        var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciEmpty, TestContent.EmptyJson),
            [TestContent.Descriptor("application/vnd.example.payload", payload)], [TestContent.EmptyJson, payload],
            customize: m => m["artifactType"] = "application/vnd.example.artifact");
        await Client.PushImageAsync(Repo, "artifact", image);
        await AssertServedAsync(image, "artifact");
    }

    [Fact]
    public async Task MissingConfigOrLayerIs400ManifestBlobUnknown()
    {
        var image = TestContent.Image("missing");
        using (var none = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType))
        {
            var error = await AssertErrorAsync(none, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
            Assert.Contains(Digests.Sha256(image.Blobs[0]), error.Detail.ToString());
        }

        await Client.PushBlobAsync(Repo, image.Blobs[0]); // config only
        using (var noLayer = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType))
        {
            var error = await AssertErrorAsync(noLayer, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
            Assert.Contains(Digests.Sha256(image.Blobs[1]), error.Detail.ToString());
        }
        await AssertNotServedAsync("v1");
        await AssertNotServedAsync(image.Digest);
    }

    [Fact]
    public async Task BlobInAnotherRepositoryDoesNotSatisfyAManifest()
    {
        var image = TestContent.Image("elsewhere");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync("conformance/elsewhere", blob);
        using var put = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task IndexWithMissingChildIs400ManifestBlobUnknown()
    {
        var present = TestContent.Image("present");
        var absent = TestContent.Image("absent");
        await Client.PushImageAsync(Repo, present.Digest, present);
        var index = TestContent.Index([present, absent]);
        using var put = await Client.PutManifestAsync(Repo, "sparse", index.Manifest, index.MediaType);
        var error = await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Contains(absent.Digest, error.Detail.ToString());
        await AssertNotServedAsync("sparse");
    }

    [Theory]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+json")]
    [InlineData("application/json")]
    public async Task Schema1IsRefusedAsManifestInvalid(string contentType)
    {
        var schema1 = """
            {
               "schemaVersion": 1,
               "name": "conformance/manifests",
               "tag": "old",
               "architecture": "amd64",
               "fsLayers": [],
               "history": [],
               "signatures": []
            }
            """u8.ToArray();
        using var put = await Client.PutManifestAsync(Repo, "old", schema1, contentType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertNotServedAsync("old");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\": 3, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"config\": {}, \"layers\": []}")]
    public async Task MalformedManifestIsManifestInvalid(string body)
    {
        using var put = await Client.PutManifestAsync(Repo, "bad", Encoding.UTF8.GetBytes(body), TestContent.OciManifest);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task ContentTypeContradictingMediaTypeIsManifestInvalid()
    {
        var image = TestContent.Image("contradiction");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, "v1", image.Manifest, TestContent.DockerManifest);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PushByDigestWithDifferentContentIsDigestInvalid()
    {
        var image = TestContent.Image("trailing");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        var altered = image.Manifest.Concat("  "u8.ToArray()).ToArray();
        using var put = await Client.PutManifestAsync(Repo, image.Digest, altered, image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertNotServedAsync(image.Digest);
        await AssertNotServedAsync(Digests.Sha256(altered));
    }

    [Fact]
    public async Task PushUnderMalformedDigestIs400()
    {
        using var put = await Client.PutManifestAsync(Repo, "sha256:baddigeststring", "blablabla"u8.ToArray(), TestContent.OciManifest);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var totallyWrong = await Client.PutManifestAsync(Repo, "sha256:totallywrong", "blablabla"u8.ToArray(), TestContent.OciManifest);
        await AssertErrorAsync(totallyWrong, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Sha512ManifestPushedByDigest()
    {
        var image = TestContent.Image("sha512");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        var digest = Digests.Sha512(image.Manifest);
        using var put = await Client.PutManifestAsync(Repo, digest, image.Manifest, image.MediaType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, Header(put, "Docker-Content-Digest"));
        Assert.Equal($"/v2/{Repo}/manifests/{digest}", Location(put));

        using var get = await GetManifestAsync(HttpMethod.Get, digest);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, Header(get, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task SubjectThatDoesNotExistYetIsAcceptedWithOciSubject()
    {
        var subject = TestContent.Image("subject");
        var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciEmpty, TestContent.EmptyJson),
            [TestContent.Descriptor(TestContent.OciEmpty, TestContent.EmptyJson)], [TestContent.EmptyJson],
            customize: m =>
            {
                m["artifactType"] = "application/vnd.example.signature";
                m["subject"] = subject.Descriptor();
            });
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, image.Digest, image.Manifest, image.MediaType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(subject.Digest, Header(put, "OCI-Subject"));
        await AssertServedAsync(image);
    }

    [Fact]
    public async Task IndexWithSubjectGetsOciSubject()
    {
        var subject = TestContent.Image("index-subject");
        var child = TestContent.Image("index-child");
        await Client.PushImageAsync(Repo, child.Digest, child);
        var index = TestContent.Index([child], customize: i => i["subject"] = subject.Descriptor());
        using var put = await Client.PutManifestAsync(Repo, index.Digest, index.Manifest, index.MediaType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(subject.Digest, Header(put, "OCI-Subject"));
    }

    [Fact]
    public async Task ManifestOver4MiBIs413()
    {
        var image = TestContent.Image("huge", m => m["annotations"] = TestContent.Annotations(("big", new string('x', 4 * 1024 * 1024 + 10))));
        Assert.True(image.Manifest.Length > 4 * 1024 * 1024);
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, "huge", image.Manifest, image.MediaType);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        Assert.Equal("application/json", put.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(ParseErrors(await put.Content.ReadAsStringAsync()));
        await AssertNotServedAsync("huge");
    }

    [Fact]
    public async Task ManifestOfAlmost4MBIsAccepted()
    {
        // The conformance runner's "large manifest": 390 annotations of 10,000 characters.
        var annotations = new JsonObject();
        for (var i = 0; i < 390; i++) annotations[$"org.example.large.{i:D3}"] = new string((char)('a' + i % 26), 10_000);
        var image = TestContent.Image("large", m => m["annotations"] = annotations);
        Assert.InRange(image.Manifest.Length, 3_900_000, 4 * 1024 * 1024);
        await Client.PushImageAsync(Repo, "large", image);
        await AssertServedAsync(image, "large");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task InvalidManifestNameIs404(string method)
    {
        await Client.PushImageAsync(Repo, "v1", TestContent.Image("present"));
        using var response = await GetManifestAsync(new HttpMethod(method), ".INVALID_MANIFEST_NAME");
        await AssertErrorOrHeadAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [InlineData(".INVALID_MANIFEST_NAME")]
    [InlineData("-dash")]
    [InlineData("has+plus")]
    public async Task PutWithInvalidTagIsTagInvalid(string tag)
    {
        var image = TestContent.Image("tag-invalid");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, tag, image.Manifest, image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    public async Task TagOf128CharactersIsAcceptedAnd129IsNot()
    {
        var image = TestContent.Image("long-tag");
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        await Client.PushManifestAsync(Repo, new string('t', 128), image.Manifest, image.MediaType);
        using var put = await Client.PutManifestAsync(Repo, new string('t', 129), image.Manifest, image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    public async Task NonDistributableLayersWithUrlsNeedNotExist()
    {
        var config = TestContent.Config("foreign");
        var foreign = TestContent.Descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", TestContent.Layer("foreign-oci"));
        foreign["urls"] = new JsonArray("https://example.com/layer.tar.gz");
        var dockerForeign = TestContent.Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", TestContent.Layer("foreign-docker"));
        dockerForeign["urls"] = new JsonArray("https://example.com/windows.tar.gz");
        var withUrls = TestContent.Descriptor(TestContent.OciLayer, TestContent.Layer("external-oci"));
        withUrls["urls"] = new JsonArray("https://example.com/external.tar.gz");

        var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config), [foreign, dockerForeign, withUrls], [config]);
        await Client.PushImageAsync(Repo, "foreign", image);
        await AssertServedAsync(image, "foreign");
    }

    [Fact]
    public async Task OrdinaryLayerWithoutUrlsMustExist()
    {
        var config = TestContent.Config("no-urls");
        var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config),
            [TestContent.Descriptor(TestContent.OciLayer, TestContent.Layer("never pushed"))], [config]);
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(Repo, blob);
        using var put = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task EmptyBodyIsManifestInvalid()
    {
        using var put = await Client.PutManifestAsync(Repo, "empty", [], TestContent.OciManifest);
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PushCreatesTheRepository()
    {
        await Client.PushImageAsync("brand/new/repo", "v1", TestContent.Image("brand-new"));
        Assert.Contains("brand/new/repo", await Client.CatalogAsync());
    }
}
