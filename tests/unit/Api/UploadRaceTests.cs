using System.Net;
using System.Net.Http.Headers;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// Requests racing on one upload session, for real and many times over: a PATCH or PUT while the session is
/// cancelled, two PATCHes at once. None may answer 500; each gets a spec answer, and the session ends consistent
/// (what it reports is what was acknowledged, and nothing is left staged for a cancelled session).
/// </summary>
public sealed class UploadRaceTests : RegistryApiTest
{
    private const string Repo = "race/app";
    private const int Iterations = 40;
    /// <summary>Big enough to be still streaming when the other request arrives.</summary>
    private static readonly byte[] Chunk = Enumerable.Range(0, 256 * 1024).Select(i => (byte)(i * 31 + 7)).ToArray();

    [Fact]
    public async Task A_patch_racing_a_cancel_answers_202_or_blob_upload_unknown_and_nothing_stays_staged()
    {
        for (var i = 0; i < Iterations; i++)
        {
            var location = await Client.StartUploadAsync(Repo);
            var patch = Task.Run(() => Client.PatchAsync(location, Bytes(Chunk)));
            var cancel = Task.Run(() => Client.DeleteAsync(location));
            using var patched = await patch;
            using var cancelled = await cancel;

            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
            if (patched.StatusCode != HttpStatusCode.Accepted) await AssertErrorAsync(patched, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            using var status = await Client.GetAsync(location);
            await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            Assert.False(Directory.Exists(StagingDirectory(location)), $"iteration {i}: the cancelled session's bytes are still staged");
        }
    }

    [Fact]
    public async Task A_put_racing_a_cancel_either_commits_the_blob_or_answers_blob_upload_unknown()
    {
        var digest = Digests.Sha256(Chunk);
        var committed = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var location = await Client.StartUploadAsync(Repo);
            using (var patch = await Client.PatchAsync(location, Bytes(Chunk))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            var put = Task.Run(() => Client.PutAsync(WithQuery(location, "digest=" + digest), null));
            var cancel = Task.Run(() => Client.DeleteAsync(location));
            using var finished = await put;
            using var cancelled = await cancel;

            // Exactly one of them wins; the other finds no session.
            if (finished.StatusCode == HttpStatusCode.Created)
            {
                committed++;
                await AssertErrorAsync(cancelled, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
                using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{Repo}/blobs/{digest}"));
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            }
            else
            {
                await AssertErrorAsync(finished, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
                Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
            }
            Assert.False(Directory.Exists(StagingDirectory(location)), $"iteration {i}: the session's bytes are still staged");
        }
        Assert.InRange(committed, 0, Iterations);
    }

    [Fact]
    public async Task Two_ranged_patches_at_once_one_is_acknowledged_the_other_gets_416_with_the_range()
    {
        for (var i = 0; i < Iterations; i++)
        {
            var location = await Client.StartUploadAsync(Repo);
            var first = Task.Run(() => Client.PatchAsync(location, Ranged(Chunk, 0)));
            var second = Task.Run(() => Client.PatchAsync(location, Ranged(Chunk, 0)));
            using var a = await first;
            using var b = await second;

            var answers = new[] { a, b };
            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Accepted);
            var refused = answers.Single(r => r.StatusCode != HttpStatusCode.Accepted);
            await AssertErrorAsync(refused, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
            // The refusal names where the session stands: before the winner (it was still streaming) or after it.
            Assert.Contains(Header(refused, "Range"), new[] { "0-0", $"0-{Chunk.Length - 1}" });

            using var status = await Client.GetAsync(location);
            Assert.Equal($"0-{Chunk.Length - 1}", Header(status, "Range"));
            using var put = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(Chunk)), null);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }

    [Fact]
    public async Task Two_streamed_patches_at_once_are_applied_one_after_the_other()
    {
        for (var i = 0; i < Iterations / 2; i++)
        {
            var location = await Client.StartUploadAsync(Repo);
            var first = Task.Run(() => Client.PatchAsync(location, Bytes(Chunk)));
            var second = Task.Run(() => Client.PatchAsync(location, Bytes(Chunk)));
            using var a = await first;
            using var b = await second;
            Assert.Equal(HttpStatusCode.Accepted, a.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, b.StatusCode);

            using var status = await Client.GetAsync(location);
            Assert.Equal($"0-{2 * Chunk.Length - 1}", Header(status, "Range"));
            using var put = await Client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256([.. Chunk, .. Chunk])), null);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }

    [Fact]
    public async Task Patches_puts_and_a_cancel_all_at_once_never_answer_500()
    {
        var digest = Digests.Sha256(Chunk);
        for (var i = 0; i < Iterations; i++)
        {
            var location = await Client.StartUploadAsync(Repo);
            var requests = new List<Task<HttpResponseMessage>>
            {
                Task.Run(() => Client.PatchAsync(location, Ranged(Chunk, 0))),
                Task.Run(() => Client.PatchAsync(location, Bytes(Chunk))),
                Task.Run(() => Client.PutAsync(WithQuery(location, "digest=" + digest), null)),
                Task.Run(() => Client.DeleteAsync(location)),
                Task.Run(() => Client.GetAsync(location)),
            };
            foreach (var response in await Task.WhenAll(requests))
            {
                using (response)
                {
                    var status = (int)response.StatusCode;
                    Assert.True(status < 500, $"iteration {i}: {response.RequestMessage!.Method} answered {status}: {await response.Content.ReadAsStringAsync()}");
                    if (status >= 400) Assert.NotEmpty(ParseErrors(await response.Content.ReadAsStringAsync()));
                }
            }
            using var after = await Client.GetAsync(location);
            await AssertErrorAsync(after, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            Assert.False(Directory.Exists(StagingDirectory(location)), $"iteration {i}: the session's bytes are still staged");
        }
    }

    private string StagingDirectory(string location) =>
        Path.Combine(Host.RootDirectory, "docker", "registry", "v2", "_wharf", "uploads", location.Split('?')[0].TrimEnd('/').Split('/')[^1]);

    private static ByteArrayContent Ranged(byte[] content, long start)
    {
        var body = Bytes(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        body.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
        return body;
    }
}
