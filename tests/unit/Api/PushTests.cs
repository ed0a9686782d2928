using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>Blob uploads: monolithic, POST then PUT, streamed, chunked, status, cancel, and the failure cases.</summary>
public sealed class PushTests : RegistryApiTest
{
    private const string Repo = "conformance/push";

    private static readonly byte[] BlobA = TestContent.RandomBytes(42, 1);
    private static readonly byte[] BlobB = TestContent.RandomBytes(42, 2);
    private static readonly byte[] Chunk1 = BlobB[..22];
    private static readonly byte[] Chunk2 = BlobB[22..];

    private static ByteArrayContent Chunk(byte[] content, string? contentRange)
    {
        var body = Bytes(content);
        if (contentRange is not null) body.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        return body;
    }

    /// <summary>A body whose length the client does not announce (sent chunked), as a streaming client does.</summary>
    private sealed class UnsizedContent(byte[] content) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(content).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private async Task AssertBlobAsync(string repository, byte[] content, string? digest = null)
    {
        digest ??= Digests.Sha256(content);
        using var get = await Client.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, Header(get, "Docker-Content-Digest"));

        using var head = await Client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    private async Task AssertBlobMissingAsync(string repository, string digest)
    {
        using var get = await Client.GetAsync($"/v2/{repository}/blobs/{digest}");
        await AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var head = await Client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task StartingAnUploadGives202WithSessionHeaders()
    {
        using var response = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = Location(response);
        Assert.StartsWith($"/v2/{Repo}/blobs/uploads/", location);
        var id = Header(response, "Docker-Upload-UUID");
        Assert.False(string.IsNullOrEmpty(id));
        Assert.EndsWith(id, location);
        Assert.Equal("0-0", Header(response, "Range"));
    }

    [Fact]
    public async Task MonolithicPostWithDigestCreatesTheBlob()
    {
        await AssertBlobMissingAsync(Repo, Digests.Dummy);
        var config = TestContent.Config("push-1");
        var digest = Digests.Sha256(config);
        using var response = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={digest}", Bytes(config));
        // 202 would be allowed by the spec, but then the blob must not exist yet; Wharf completes in one request.
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(response));
        Assert.Equal(digest, Header(response, "Docker-Content-Digest"));
        await AssertBlobAsync(Repo, config);
    }

    [Fact]
    public async Task MonolithicPostWithWrongDigestStoresNothing()
    {
        var content = TestContent.Layer("push-wrong");
        var claimed = Digests.Sha256(TestContent.Layer("something else"));
        using var response = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={claimed}", Bytes(content));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobMissingAsync(Repo, claimed);
        await AssertBlobMissingAsync(Repo, Digests.Sha256(content));
    }

    [Fact]
    public async Task PostThenPutCreatesTheBlob()
    {
        var config = TestContent.Config("push-2");
        var layer = TestContent.Layer("push-2");
        foreach (var blob in new[] { config, layer })
        {
            var location = await Client.StartUploadAsync(Repo);
            var digest = Digests.Sha256(blob);
            using var put = await Client.PutAsync(WithQuery(location, "digest=" + digest), Bytes(blob));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(put));
            Assert.Equal(digest, Header(put, "Docker-Content-Digest"));

            using var get = await Client.GetAsync(Location(put));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(blob, await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task StreamedPatchWithoutContentRange()
    {
        var location = await Client.StartUploadAsync(Repo);
        var content = new UnsizedContent(BlobA);
        content.Headers.ContentType = new(OctetStream);
        using var patch = await Client.PatchAsync(location, content);
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal("0-41", Header(patch, "Range"));

        var digest = Digests.Sha256(BlobA);
        using var put = await Client.PutAsync(WithQuery(Location(patch), "digest=" + digest), Bytes([]));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(put));
        await AssertBlobAsync(Repo, BlobA);
    }

    [Fact]
    public async Task StreamedPatchWithContentLength()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Bytes(BlobA));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal("0-41", Header(patch, "Range"));
        using var put = await Client.SendAsync(HttpMethod.Put, WithQuery(Location(patch), "digest=" + Digests.Sha256(BlobA)));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, BlobA);
    }

    [Fact]
    public async Task OutOfOrderChunkIs416()
    {
        using var post = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/", Bytes([]));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        using var patch = await Client.PatchAsync(Location(post), Chunk(Chunk2, "22-41"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, patch.StatusCode);
        Assert.Equal("0-0", Header(patch, "Range"));

        // Nothing was written: the session is still empty and takes the first chunk.
        using var status = await Client.GetAsync(Location(post));
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-0", Header(status, "Range"));
        using var first = await Client.PatchAsync(Location(post), Chunk(Chunk1, "0-21"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
    }

    [Fact]
    public async Task ChunkedUploadFollowsTheConformanceSequence()
    {
        using var post = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/", Bytes([]));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var l0 = Location(post);

        using var first = await Client.PatchAsync(l0, Chunk(Chunk1, "0-21"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("0-21", Header(first, "Range"));
        Assert.False(string.IsNullOrEmpty(Location(first)));

        // The same chunk again, to the original session URL: the session already holds those bytes.
        using var repeated = await Client.PatchAsync(l0, Chunk(Chunk1, "0-21"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, repeated.StatusCode);
        Assert.Equal("0-21", Header(repeated, "Range"));

        using var status = await Client.GetAsync(l0);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-21", Header(status, "Range"));
        var statusLocation = Location(status);

        using var second = await Client.PatchAsync(statusLocation, Chunk(Chunk2, "22-41"));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal("0-41", Header(second, "Range"));

        var digest = Digests.Sha256(BlobB);
        using var put = await Client.PutAsync(WithQuery(Location(second), "digest=" + digest), Bytes([]));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(put));
        await AssertBlobAsync(Repo, BlobB);
    }

    [Fact]
    public async Task ChunkRangeInRfcFormIsAccepted()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var first = await Client.PatchAsync(location, Chunk(Chunk1, "bytes 0-21/42"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("0-21", Header(first, "Range"));
    }

    [Fact]
    public async Task ContentRangeDisagreeingWithContentLengthIsRefused()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Chunk(Chunk1, "0-29"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, patch.StatusCode);
        using var status = await Client.GetAsync(location);
        Assert.Equal("0-0", Header(status, "Range"));
    }

    [Fact]
    public async Task LastChunkSentWithThePut()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var first = await Client.PatchAsync(location, Chunk(Chunk1, "0-21"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var digest = Digests.Sha256(BlobB);
        using var put = await Client.PutAsync(WithQuery(Location(first), "digest=" + digest), Chunk(Chunk2, "22-41"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(put));
        await AssertBlobAsync(Repo, BlobB);
    }

    [Fact]
    public async Task LastChunkSentWithThePutWithoutContentRange()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var first = await Client.PatchAsync(location, Bytes(Chunk1));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        using var put = await Client.PutAsync(WithQuery(Location(first), "digest=" + Digests.Sha256(BlobB)), Bytes(Chunk2));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, BlobB);
    }

    [Fact]
    public async Task LastChunkSentChunkedWithThePut()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var first = await Client.PatchAsync(location, Bytes(Chunk1));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var body = new UnsizedContent(Chunk2);
        body.Headers.ContentType = new(OctetStream);
        using var put = await Client.PutAsync(WithQuery(Location(first), "digest=" + Digests.Sha256(BlobB)), body);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, BlobB);
    }

    /// <summary>An HTTP/2 request: a body in DATA frames, with neither Content-Length nor Transfer-Encoding.</summary>
    private sealed class Http2Body : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => true;
    }

    [Fact]
    public async Task LastChunkInThePutWithoutAnyLengthAsOverHttp2()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var first = await Client.PatchAsync(location, Bytes(Chunk1));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var response = await Host.SendRawAsync("PUT", WithQuery(Location(first), "digest=" + Digests.Sha256(BlobB)), c =>
        {
            c.Features.Set<IHttpRequestBodyDetectionFeature>(new Http2Body());
            c.Request.ContentType = OctetStream;
            c.Request.Body = new MemoryStream(Chunk2);
        });
        Assert.True(response.Status == 201, $"{response.Status} {response.Body}");
        await AssertBlobAsync(Repo, BlobB);
    }

    [Fact]
    public async Task MonolithicPostWithAChunkedBody()
    {
        var body = new UnsizedContent(BlobA);
        body.Headers.ContentType = new(OctetStream);
        using var post = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={Digests.Sha256(BlobA)}", body);
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        await AssertBlobAsync(Repo, BlobA);
    }

    [Fact]
    public async Task FinishedUploadSessionIsGone()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(BlobA)), Bytes(BlobA));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var status = await Client.GetAsync(location);
        await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var again = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(BlobA)), Bytes([]));
        await AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task OutOfOrderLastChunkInThePutIs416()
    {
        var location = await Client.StartUploadAsync(Repo);
        var digest = Digests.Sha256(BlobB);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + digest), Chunk(Chunk2, "22-41"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, put.StatusCode);
        await AssertBlobMissingAsync(Repo, digest);

        using var status = await Client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.StartsWith("0-", Header(status, "Range"));
        Assert.False(string.IsNullOrEmpty(Location(status)));
    }

    [Fact]
    public async Task UploadStatusIs204WithRangeAndLocation()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Bytes(BlobA[..10]));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);

        using var status = await Client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-9", Header(status, "Range"));
        Assert.Equal(location, Location(status));
        Assert.Equal(0, status.Content.Headers.ContentLength ?? 0);
        Assert.False(string.IsNullOrEmpty(Header(status, "Docker-Upload-UUID")));
    }

    [Fact]
    public async Task CancelledUploadIsGone()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Bytes(BlobA));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);

        using var cancel = await Client.DeleteAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);

        using var status = await Client.GetAsync(location);
        await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var again = await Client.PatchAsync(location, Bytes(BlobA));
        await AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(BlobA)), Bytes([]));
        await AssertErrorAsync(put, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var cancelAgain = await Client.DeleteAsync(location);
        await AssertErrorAsync(cancelAgain, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await AssertBlobMissingAsync(Repo, Digests.Sha256(BlobA));
    }

    [Fact]
    public async Task UnknownUploadIdIs404()
    {
        using var status = await Client.GetAsync($"/v2/{Repo}/blobs/uploads/{Guid.NewGuid():D}");
        await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var garbage = await Client.GetAsync($"/v2/{Repo}/blobs/uploads/not-a-session");
        await AssertErrorAsync(garbage, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task UploadSessionBelongsToItsRepository()
    {
        var location = await Client.StartUploadAsync(Repo);
        var id = location[(location.LastIndexOf('/') + 1)..];
        using var other = await Client.PatchAsync($"/v2/conformance/other/blobs/uploads/{id}", Bytes(BlobA));
        await AssertErrorAsync(other, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task DigestMismatchOnPutIs400AndNothingIsServed()
    {
        var location = await Client.StartUploadAsync(Repo);
        var claimed = Digests.Sha256(BlobB);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + claimed), Bytes(BlobA));
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobMissingAsync(Repo, claimed);
        await AssertBlobMissingAsync(Repo, Digests.Sha256(BlobA));
    }

    [Fact]
    public async Task DigestMismatchAfterChunksIs400()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Chunk(Chunk1, "0-21"));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var claimed = Digests.Sha256(BlobB);
        using var put = await Client.PutAsync(WithQuery(Location(patch), "digest=" + claimed), Bytes([]));
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobMissingAsync(Repo, claimed);
    }

    [Fact]
    public async Task PutWithoutDigestIs400DigestInvalid()
    {
        var location = await Client.StartUploadAsync(Repo);
        using var put = await Client.PutAsync(location, Bytes(BlobA));
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var malformed = await Client.PutAsync(WithQuery(location, "digest=sha256:xyz"), Bytes(BlobA));
        await AssertErrorAsync(malformed, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task EmptyBlobPushesAndIsServed()
    {
        var digest = Digests.Sha256([]);
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest);

        var location = await Client.StartUploadAsync(Repo);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + digest), Bytes([]));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, []);

        using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await AssertBlobMissingAsync(Repo, digest);

        using var monolithic = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={digest}", Bytes([]));
        Assert.Equal(HttpStatusCode.Created, monolithic.StatusCode);
        await AssertBlobAsync(Repo, []);
    }

    [Fact]
    public async Task EmptyJsonBlobPushesAndIsServed()
    {
        var digest = await Client.PushBlobAsync(Repo, TestContent.EmptyJson);
        Assert.Equal(TestContent.EmptyJsonDigest, digest);
        await AssertBlobAsync(Repo, TestContent.EmptyJson);
    }

    [Fact]
    public async Task Sha512BlobPostThenPut()
    {
        var content = TestContent.RandomBytes(3000, 512);
        var digest = Digests.Sha512(content);
        var location = await Client.StartUploadAsync(Repo);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + digest), Bytes(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{Repo}/blobs/{digest}", Location(put));
        await AssertBlobAsync(Repo, content, digest);
    }

    [Fact]
    public async Task Sha512BlobChunkedAndMonolithic()
    {
        var content = TestContent.RandomBytes(3000, 513);
        var digest = Digests.Sha512(content);
        var location = await Client.StartUploadAsync(Repo);
        using var patch = await Client.PatchAsync(location, Chunk(content[..1000], "0-999"));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using var put = await Client.PutAsync(WithQuery(Location(patch), "digest=" + digest), Chunk(content[1000..], "1000-2999"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, content, digest);

        var other = TestContent.RandomBytes(100, 514);
        var otherDigest = Digests.Sha512(other);
        using var post = await Client.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={otherDigest}", Bytes(other));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        await AssertBlobAsync(Repo, other, otherDigest);
    }

    [Fact]
    public async Task Sha512DigestMismatchIs400()
    {
        var location = await Client.StartUploadAsync(Repo);
        var claimed = Digests.Sha512(BlobB);
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + claimed), Bytes(BlobA));
        await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobMissingAsync(Repo, claimed);
    }

    [Fact]
    public async Task PushingTheSameBlobTwiceSucceeds()
    {
        await Client.PushBlobAsync(Repo, BlobA);
        await Client.PushBlobAsync(Repo, BlobA);
        await Client.PushBlobAsync("conformance/second", BlobA);
        await AssertBlobAsync(Repo, BlobA);
        await AssertBlobAsync("conformance/second", BlobA);
    }

    [Fact]
    public async Task LargeBlobInSeveralChunks()
    {
        var content = TestContent.RandomBytes(3 * 1024 * 1024 + 17, 7);
        var location = await Client.StartUploadAsync(Repo);
        const int chunk = 1024 * 1024;
        for (var start = 0; start < content.Length; start += chunk)
        {
            var end = Math.Min(content.Length, start + chunk);
            using var patch = await Client.PatchAsync(location, Chunk(content[start..end], $"{start}-{end - 1}"));
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{end - 1}", Header(patch, "Range"));
            location = Location(patch);
        }
        using var put = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), Bytes([]));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(Repo, content);
    }
}
