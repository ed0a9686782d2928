using System.Net.Http.Headers;
using System.Security.Cryptography;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// Two Wharf processes on one data directory and one SQLite database: an upload session's POST, PATCHes, status and
/// PUT alternate between them and the blob comes out whole with the right digest. Nothing of a session lives in the
/// process that started it.
/// </summary>
public sealed class TwoInstanceUploadTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private WharfProcess _first = null!;
    private WharfProcess _second = null!;

    public async Task InitializeAsync()
    {
        // One after the other, so the second finds the database migrated and the first Admin there.
        _first = await WharfProcess.StartAsync(_temp.Combine("root"));
        _second = await WharfProcess.StartAsync(_temp.Combine("root"));
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_chunked_upload_alternating_between_two_processes_completes_with_the_right_digest()
    {
        var content = new byte[5 * 1024 * 1024 + 12345];
        new Random(42).NextBytes(content);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var first = new RegistryHttp(_first.HostPort);
        using var second = new RegistryHttp(_second.HostPort);
        const string repository = "shared/app";

        var location = (await first.StartUploadAsync(repository)).ToString();
        var chunks = new[] { (0, 2_000_000), (2_000_000, 4_000_000), (4_000_000, content.Length - 100) };
        var clients = new[] { second, first, second };
        for (var i = 0; i < chunks.Length; i++)
        {
            var (start, end) = chunks[i];
            using var chunk = new ByteArrayContent(content[start..end]);
            chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            chunk.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{end - 1}");
            using var patch = await clients[i].Client.PatchAsync(location, chunk);
            Assert.Equal(202, (int)patch.StatusCode);
            Assert.Equal($"0-{end - 1}", patch.Headers.GetValues("Range").Single());
            location = patch.Headers.Location!.ToString();
        }

        // The other process reports the same acknowledged size.
        using (var status = await first.Client.GetAsync(location))
        {
            Assert.Equal(204, (int)status.StatusCode);
            Assert.Equal($"0-{content.Length - 101}", status.Headers.GetValues("Range").Single());
        }

        // The last bytes go with the PUT, to the process that did not take the previous chunk.
        using var last = new ByteArrayContent(content[^100..]);
        last.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        last.Headers.TryAddWithoutValidation("Content-Range", $"{content.Length - 100}-{content.Length - 1}");
        using var put = await first.Client.PutAsync($"{location}{(location.Contains('?') ? '&' : '?')}digest={digest}", last);
        Assert.Equal(201, (int)put.StatusCode);
        Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());

        foreach (var registry in new[] { first, second })
        {
            using var blob = await registry.Client.GetAsync($"/v2/{repository}/blobs/{digest}");
            Assert.Equal(200, (int)blob.StatusCode);
            Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await blob.Content.ReadAsByteArrayAsync())));
        }
        using var gone = await second.Client.GetAsync(location);
        Assert.Equal(404, (int)gone.StatusCode);
    }
}
