using System.Net.Http.Headers;
using System.Security.Cryptography;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// A 1 GiB blob goes in and out by streaming, and many clients pulling a layer at once are served from small
/// buffers: Wharf's resident memory barely moves.
/// </summary>
public sealed class MemoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long OneGiB = 1L << 30;
    /// <summary>Streaming needs a few buffers; holding the blob would need a gigabyte. Anything near 100 MiB is buffering.</summary>
    private const long AllowedGrowth = 100L << 20;

    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;

    public async Task InitializeAsync() => _wharf = await WharfProcess.StartAsync(_temp.Combine("root"));

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Pushing_and_pulling_1_GiB_does_not_grow_the_process()
    {
        using var http = new RegistryHttp(_wharf.HostPort);
        // Warm up the code paths with a small blob so that JIT and pools are not counted as growth.
        await PushAsync(http, 4 << 20, seed: 1);
        await PullAsync(http, PatternStream.DigestOf(4 << 20, 1));
        var before = _wharf.Memory();

        var digest = PatternStream.DigestOf(OneGiB);
        await PushAsync(http, OneGiB, seed: 7);
        var afterPush = _wharf.Memory();
        var pulledDigest = await PullAsync(http, digest);
        var afterPull = _wharf.Memory();

        Assert.Equal(digest, pulledDigest);
        var growth = afterPull.Peak - before.Peak;
        var line = $"1 GiB push+pull: RSS before {before.Current >> 20} MiB (peak {before.Peak >> 20} MiB), after push {afterPush.Current >> 20} MiB, after pull {afterPull.Current >> 20} MiB; peak grew by {growth >> 20} MiB";
        output.WriteLine(line);
        Directory.CreateDirectory(Path.Combine(RepositoryRoot.Find(), "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(RepositoryRoot.Find(), "artifacts", "memory-1gib.txt"), line + "\n");
        Assert.True(growth < AllowedGrowth, line);
    }

    [Fact]
    public async Task Many_concurrent_pulls_hold_little_memory_per_connection()
    {
        const int Clients = 100;
        const long LayerSize = 8L << 20;
        using var http = new RegistryHttp(_wharf.HostPort);
        await PushAsync(http, LayerSize, seed: 3);
        var digest = PatternStream.DigestOf(LayerSize, 3);
        // Warm up (JIT, pools, one connection's buffers) so that only what concurrent responses hold counts.
        Assert.Equal(digest, await PullAsync(http, digest));
        var before = _wharf.Memory();

        // Every response is started (headers in) before any body is read: all of them are in flight together,
        // each stopped at what the socket takes while its client does not read.
        var responses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ =>
            http.Client.GetAsync($"/v2/big/blob/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead)));
        try
        {
            Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
            var digests = await Task.WhenAll(responses.Select(r => DigestOfBodyAsync(r)));
            Assert.All(digests, d => Assert.Equal(digest, d));
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
        var after = _wharf.Memory();

        var growth = after.Peak - before.Current;
        var line = $"{Clients} concurrent pulls of {LayerSize >> 20} MiB: RSS before {before.Current >> 20} MiB, peak after {after.Peak >> 20} MiB; grew by {growth >> 20} MiB";
        output.WriteLine(line);
        // A few hundred KiB per response is streaming; 1 MiB or more per response (100 MiB here) is buffering.
        Assert.True(growth < AllowedConcurrentGrowth, line);
    }

    /// <summary>For 100 concurrent responses: 640 KiB each.</summary>
    private const long AllowedConcurrentGrowth = 64L << 20;

    private static async Task PushAsync(RegistryHttp http, long length, int seed)
    {
        var location = await http.StartUploadAsync("big/blob");
        using var content = new StreamContent(new PatternStream(length, seed), 256 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        // No Content-Length: a single chunked PATCH, the way docker and containerd stream layers.
        content.Headers.ContentLength = null;
        using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        patch.Headers.TransferEncodingChunked = true;
        using var patched = await http.Client.SendAsync(patch);
        Assert.Equal(202, (int)patched.StatusCode);
        var digest = PatternStream.DigestOf(length, seed);
        using var put = await http.Client.PutAsync($"{patched.Headers.Location}?digest={digest}", null);
        Assert.Equal(201, (int)put.StatusCode);
    }

    private static async Task<string> PullAsync(RegistryHttp http, string digest)
    {
        using var response = await http.Client.GetAsync($"/v2/big/blob/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        return await DigestOfBodyAsync(response);
    }

    private static async Task<string> DigestOfBodyAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) sha.AppendData(buffer, 0, read);
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
