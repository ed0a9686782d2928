using System.Net;
using System.Net.Http.Headers;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>The protocol's edges: the base endpoint, error shape, names, routes, methods, headers and blob ranges.</summary>
public sealed class ErrorTests : RegistryApiTest
{
    private const string Repo = "conformance/errors";

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/v2")]
    public async Task BaseEndpointIs200WithAnEmptyObject(string path)
    {
        using var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal("registry/2.0", Header(response, "Docker-Distribution-API-Version"));

        using var head = await Client.SendAsync(HttpMethod.Head, path);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task EveryV2ResponseCarriesTheApiVersionHeader()
    {
        var image = TestContent.Image("version-header");
        var blob = TestContent.RandomBytes(100, 3);
        var digest = Digests.Sha256(blob);
        var requests = new List<Func<Task<HttpResponseMessage>>>
        {
            () => Client.GetAsync("/v2/"),
            () => Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={digest}", Bytes(blob)),                  // 201
            () => Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{digest}"),                               // 200
            () => Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{digest}", r => r.Headers.Range = new RangeHeaderValue(0, 9)), // 206
            () => Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{digest}", r => r.Headers.Range = new RangeHeaderValue(500, 900)), // 416
            () => Client.PostAsync($"/v2/{Repo}/blobs/uploads/", null),                                          // 202
            () => Client.GetAsync($"/v2/{Repo}/tags/list"),                                                       // 200
            () => Client.GetAsync("/v2/_catalog"),
            () => Client.GetAsync($"/v2/{Repo}/referrers/{Digests.Dummy}"),
            () => Client.GetAsync($"/v2/{Repo}/manifests/missing"),                                              // 404
            () => Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/manifests/missing"),
            () => Client.PostAsync($"/v2/{Repo}/manifests/latest", null),                                        // 405
            () => Client.GetAsync("/v2/UPPER/tags/list"),                                                        // 400
            () => Client.GetAsync("/v2/not/a/route"),                                                           // 404
            () => Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}"),                                              // 202
        };
        foreach (var send in requests)
        {
            using var response = await send();
            Assert.True(Header(response, "Docker-Distribution-API-Version") == "registry/2.0",
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} ({(int)response.StatusCode}) lacks Docker-Distribution-API-Version");
        }

        var location = await Client.StartUploadAsync(Repo);
        using var status = await Client.GetAsync(location);                                                      // 204
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("registry/2.0", Header(status, "Docker-Distribution-API-Version"));
        foreach (var content in image.Blobs) await Client.PushBlobAsync(Repo, content);
        using var put = await Client.PutManifestAsync(Repo, "v1", image.Manifest, image.MediaType);             // 201
        Assert.Equal("registry/2.0", Header(put, "Docker-Distribution-API-Version"));
    }

    [Theory]
    [InlineData("/v2/Upper/tags/list")]
    [InlineData("/v2/UPPER/manifests/latest")]
    [InlineData("/v2/a..b/tags/list")]
    [InlineData("/v2/-leading/tags/list")]
    [InlineData("/v2/trailing-/tags/list")]
    [InlineData("/v2/a//b/tags/list")]
    [InlineData("/v2/a__-b/blobs/uploads/")]
    [InlineData("/v2/caf\u00e9/tags/list")]
    public async Task InvalidRepositoryNameIs400NameInvalid(string path)
    {
        using var response = await Client.GetAsync(path);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task TooLongRepositoryNameIs400NameInvalid()
    {
        var name = string.Join('/', Enumerable.Repeat(new string('a', 50), 6));
        Assert.True(name.Length > 255);
        using var response = await Client.GetAsync($"/v2/{name}/tags/list");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    /// <summary>
    /// Dot segments and encoded slashes, sent both through HttpClient (which removes dot segments, as most clients
    /// and Kestrel do) and raw, exactly as written, to the registry's own router.
    /// </summary>
    [Theory]
    [InlineData("GET", "/v2/a/../b/tags/list")]
    [InlineData("GET", "/v2/../../etc/tags/list")]
    [InlineData("GET", "/v2/a/./b/manifests/latest")]
    [InlineData("GET", "/v2/a%2Fb/tags/list")]
    [InlineData("GET", "/v2/a%2fb/manifests/latest")]
    [InlineData("GET", "/v2/%2E%2E/x/tags/list")]
    [InlineData("POST", "/v2/a%2F..%2Fb/blobs/uploads/")]
    [InlineData("POST", "/v2/a/../../b/blobs/uploads/")]
    [InlineData("PUT", "/v2/a/../../b/manifests/latest")]
    [InlineData("DELETE", "/v2/../blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public async Task PathTricksAreRefusedNeverA500(string method, string path)
    {
        using (var response = await Client.SendAsync(new HttpMethod(method), path, r =>
               {
                   if (method == "PUT") r.Content = Bytes("{}"u8.ToArray(), TestContent.OciManifest);
               }))
        {
            var body = await response.Content.ReadAsStringAsync();
            var sent = response.RequestMessage!.RequestUri!.AbsolutePath;
            if (sent.StartsWith("/v2/", StringComparison.Ordinal))
                AssertRefused((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, $"{method} {sent}");
            else // the client climbed out of /v2 altogether: not the registry's to answer, but never a server error
                Assert.InRange((int)response.StatusCode, 400, 499);
        }

        var raw = await Host.SendRawAsync(method, path);
        AssertRefused(raw.Status, raw.ContentType, raw.Body, $"raw {method} {path}");
        if (path.Contains("/../") || path.Contains("/./"))
        {
            // Unencoded dot segments that reach the router are names, and invalid ones.
            Assert.Equal(400, raw.Status);
        }
        Assert.False(Directory.Exists(Path.Combine(Host.RootDirectory, "docker", "registry", "v2", "repositories")),
            "a path trick reached the store");
    }

    private static void AssertRefused(int status, string? contentType, string body, string request)
    {
        Assert.True(status is 400 or 404, $"{request}: {status} {body}");
        Assert.Equal("application/json", contentType);
        var error = Assert.Single(ParseErrors(body));
        if (status == 400) Assert.Equal("NAME_INVALID", error.Code);
    }

    [Theory]
    [InlineData("/v2/not/a/route")]
    [InlineData("/v2/a/blobs")]
    [InlineData("/v2/a/manifests/")]
    [InlineData("/v2/a/blobs/uploads/x/y")]
    [InlineData("/v2/a/tags")]
    public async Task UnknownRouteIs404Json(string path)
    {
        using var response = await Client.GetAsync(path);
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Theory]
    [InlineData("POST", "/v2/a/manifests/latest")]
    [InlineData("PATCH", "/v2/a/manifests/latest")]
    [InlineData("PUT", "/v2/a/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("POST", "/v2/a/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("DELETE", "/v2/a/tags/list")]
    [InlineData("PUT", "/v2/_catalog")]
    [InlineData("DELETE", "/v2/")]
    [InlineData("GET", "/v2/a/blobs/uploads/")]
    [InlineData("PUT", "/v2/a/referrers/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public async Task WrongMethodIs405(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpMethod(method), path);
        await AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
    }

    [Fact]
    public async Task ErrorBodiesHaveTheSpecShape()
    {
        var cases = new (Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status, string Code)[]
        {
            (() => Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Dummy}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN"),
            (() => Client.GetAsync($"/v2/{Repo}/blobs/sha256:short"), HttpStatusCode.BadRequest, "DIGEST_INVALID"),
            (() => Client.GetAsync($"/v2/{Repo}/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"), HttpStatusCode.BadRequest, "DIGEST_INVALID"),
            (() => Client.GetAsync($"/v2/{Repo}/manifests/latest"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN"),
            (() => Client.GetAsync($"/v2/{Repo}/tags/list"), HttpStatusCode.NotFound, "NAME_UNKNOWN"),
            (() => Client.GetAsync($"/v2/{Repo}/blobs/uploads/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN"),
            (() => Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest=sha256:bad", Bytes([1])), HttpStatusCode.BadRequest, "DIGEST_INVALID"),
            (() => Client.PutAsync($"/v2/{Repo}/manifests/latest", Bytes("{"u8.ToArray(), TestContent.OciManifest)), HttpStatusCode.BadRequest, "MANIFEST_INVALID"),
            (() => Client.GetAsync("/v2/BAD/tags/list"), HttpStatusCode.BadRequest, "NAME_INVALID"),
            (() => Client.GetAsync($"/v2/{Repo}/tags/list?n=x"), HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID"),
        };
        foreach (var (send, status, code) in cases)
        {
            using var response = await send();
            var error = await AssertErrorAsync(response, status, code);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    [Fact]
    public async Task HeadErrorsHaveNoBody()
    {
        using var response = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{Digests.Dummy}");
        await AssertErrorOrHeadAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task InvalidContentRangeIs416()
    {
        var location = await Client.StartUploadAsync(Repo);
        var body = Bytes([1, 2, 3]);
        body.Headers.TryAddWithoutValidation("Content-Range", "garbage");
        using var response = await Client.PatchAsync(location, body);
        await AssertErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
    }

    // ---- Range requests on a 2048-byte blob ----

    private static readonly byte[] RangeBlob = TestContent.RandomBytes(2048, 2048);

    private async Task<HttpResponseMessage> GetRangeAsync(string range)
    {
        var digest = Digests.Sha256(RangeBlob);
        return await Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{digest}", r => r.Headers.TryAddWithoutValidation("Range", range));
    }

    [Theory]
    [InlineData("bytes=500-1499", 500, 1499)]
    [InlineData("bytes=500-", 500, 2047)]
    [InlineData("bytes=-500", 1548, 2047)]
    [InlineData("bytes=2000-5000", 2000, 2047)]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=0-2047", 0, 2047)]
    public async Task SatisfiableRangeIs206(string range, int first, int last)
    {
        await Client.PushBlobAsync(Repo, RangeBlob);
        using var response = await GetRangeAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/2048", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal(RangeBlob[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(Digests.Sha256(RangeBlob), Header(response, "Docker-Content-Digest"));
    }

    [Theory]
    [InlineData("bytes=5000-10000")]
    [InlineData("bytes=2048-")]
    [InlineData("bytes=500-0")] // RFC 9110 would allow ignoring it; the conformance runner requires 416
    [InlineData("bytes=2047-2046")]
    public async Task UnsatisfiableRangeIs416(string range)
    {
        await Client.PushBlobAsync(Repo, RangeBlob);
        using var response = await GetRangeAsync(range);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */2048", response.Content.Headers.ContentRange?.ToString());
    }

    [Theory]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("items=0-9")]
    [InlineData("bytes=abc-def")]
    public async Task RangeTheRegistryDoesNotServeFallsBackToTheWholeBlob(string range)
    {
        await Client.PushBlobAsync(Repo, RangeBlob);
        using var response = await GetRangeAsync(range);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RangeBlob, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task NoRangeIsTheWholeBlobAndAdvertisesRanges()
    {
        await Client.PushBlobAsync(Repo, RangeBlob);
        using var response = await Client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(RangeBlob)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RangeBlob, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes", Header(response, "Accept-Ranges"));
    }
}
