using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Registry.Proxy;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>
/// The pull-through cache through the real API (the whole host in memory) against <see cref="FakeUpstream"/>:
/// the paths a real upstream cannot be made to take on demand — a blob held half sent, a body that breaks off or
/// lies, tokens revoked, an upstream answering 503.
/// </summary>
public sealed class ProxyApiTests : IAsyncLifetime
{
    private const string Manifests = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

    private FakeUpstream _upstream = null!;
    private RegistryTestHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task StartWharfAsync(string ttl = "1h", bool credentials = false, bool allowAnonymous = true)
    {
        List<string> settings =
        [
            "--Wharf:Upstreams:0:Name=up",
            "--Wharf:Upstreams:0:Prefix=up",
            "--Wharf:Upstreams:0:Url=" + _upstream.Url,
            "--Wharf:Upstreams:0:Ttl=" + ttl,
            "--Wharf:Upstreams:0:AllowAnonymous=" + allowAnonymous,
        ];
        if (credentials) settings.AddRange(["--Wharf:Upstreams:0:Username=robot", "--Wharf:Upstreams:0:Password=robot-pw"]);
        _host = new RegistryTestHost { Settings = settings };
        await _host.InitializeAsync();
        _client = _host.CreateClient();
    }

    private async Task<HttpResponseMessage> GetManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd(Manifests);
        return await _client.SendAsync(request);
    }

    private UpstreamStats Stats => _host.Services.GetRequiredService<UpstreamStatistics>().Get("up");

    private string StoredBlob(string digest) =>
        Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", digest[7..9], digest[7..], "data");

    private async Task<T> QueryAsync<T>(Func<RegistryDbContext, Task<T>> query)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }

    private static byte[] Random(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Concurrent_requests_for_a_cold_blob_stream_from_one_upstream_GET()
    {
        var content = Random(3 << 20, 1);
        var digest = _upstream.AddBlob(content);
        var gate = new TaskCompletionSource();
        _upstream.BlobBody = (_, bytes) => new GatedStream(bytes, 256 * 1024, gate.Task);
        await StartWharfAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            _client.GetAsync($"/v2/up/team/blob/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(responses, r => Assert.Equal(content.Length, r.Content.Headers.ContentLength));

        // Every client has bytes while the upstream is still holding back the rest: they stream, they do not wait.
        var bodies = new List<Stream>();
        foreach (var response in responses)
        {
            var body = await response.Content.ReadAsStreamAsync();
            var first = new byte[1024];
            await body.ReadExactlyAsync(first);
            Assert.Equal(content.AsSpan(0, 1024).ToArray(), first);
            bodies.Add(body);
        }
        Assert.False(File.Exists(StoredBlob(digest)));
        gate.SetResult();

        foreach (var body in bodies)
        {
            var rest = new MemoryStream();
            await body.CopyToAsync(rest);
            Assert.Equal(content.AsSpan(1024).ToArray(), rest.ToArray());
        }
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/blob/blobs/{digest}"));
        Assert.True(File.Exists(StoredBlob(digest)));
        Assert.Equal(1, Stats.Fetches);
        Assert.Equal(content.Length, Stats.BytesFetched);

        // Now cached: served from the store, the upstream not asked again.
        var again = await _client.GetByteArrayAsync($"/v2/up/team/blob/blobs/{digest}");
        Assert.Equal(content, again);
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/blob/blobs/{digest}"));
        Assert.Equal(content.Length, Stats.BytesFromCache);
        foreach (var response in responses) response.Dispose();
    }

    [Fact]
    public async Task An_upstream_that_breaks_off_mid_blob_fails_the_client_and_commits_nothing()
    {
        var content = Random(2 << 20, 2);
        var digest = _upstream.AddBlob(content);
        _upstream.BlobBody = (_, bytes) => new BrokenStream(bytes, 700_000);
        await StartWharfAsync();

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await _client.GetAsync($"/v2/up/team/blob/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
            var received = await response.Content.ReadAsByteArrayAsync();
            Assert.Fail($"the client received {received.Length} bytes as if the body were whole");
        });
        await WaitUntilAsync(() => _host.Services.GetRequiredService<UpstreamBlobFetcher>().InFlight == 0);
        Assert.False(File.Exists(StoredBlob(digest)));
        Assert.False(await QueryAsync(db => db.RepositoryBlobs.AnyAsync(b => b.Digest == digest)));
        var scratch = Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "tmp");
        Assert.Empty(Directory.Exists(scratch) ? Directory.GetFiles(scratch) : []);
        Assert.Contains("broke off", Stats.LastError);

        _upstream.BlobBody = null;
        Assert.Equal(content, await _client.GetByteArrayAsync($"/v2/up/team/blob/blobs/{digest}"));
        Assert.True(File.Exists(StoredBlob(digest)));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_digest_are_not_committed_and_not_delivered_whole()
    {
        var content = Random(500_000, 3);
        var digest = _upstream.AddBlob(content);
        var wrong = Random(500_000, 4);
        _upstream.BlobBody = (_, _) => new MemoryStream(wrong);
        await StartWharfAsync();

        // Depending on when the mismatch is found, the client gets an error answer (nothing sent yet) or a cut
        // connection (part of the body sent); never a whole body with a success status.
        var delivered = false;
        try
        {
            using var response = await _client.GetAsync($"/v2/up/team/blob/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            delivered = response.IsSuccessStatusCode && body.Length == wrong.Length;
        }
        catch (Exception e) when (e is HttpRequestException or IOException) { }
        Assert.False(delivered);
        await WaitUntilAsync(() => _host.Services.GetRequiredService<UpstreamBlobFetcher>().InFlight == 0);
        Assert.False(File.Exists(StoredBlob(digest)));
        Assert.Contains("content digest is", Stats.LastError);
    }

    [Fact]
    public async Task Bearer_tokens_are_fetched_once_reused_and_fetched_again_after_a_401()
    {
        _upstream.Bearer = ("robot", "robot-pw");
        var (manifest, config, layers) = _upstream.AddImage("team/app", "1", Random(10_000, 5), Random(20_000, 6));
        await StartWharfAsync(credentials: true);

        using (var response = await GetManifestAsync("up/team/app", "1")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Random(10_000, 5), await _client.GetByteArrayAsync($"/v2/up/team/app/blobs/{layers[0]}"));
        Assert.Equal(1, _upstream.TokenRequests);
        Assert.Equal(1, _upstream.Requests.Count(r => r.Status == 401)); // the first request, which taught the scheme

        // The upstream stops honouring the token: the next request gets a 401, a new token, and one retry.
        _upstream.RevokeTokens();
        Assert.Equal(Random(20_000, 6), await _client.GetByteArrayAsync($"/v2/up/team/app/blobs/{layers[1]}"));
        Assert.Equal(2, _upstream.TokenRequests);
        Assert.Equal(2, _upstream.Requests.Count(r => r.Status == 401));
        Assert.All(_upstream.Requests.Where(r => r.Path.StartsWith("/v2/team") && r.Status == 200), r => Assert.StartsWith("Bearer ", r.Authorization));
        Assert.NotNull(config);
        Assert.NotNull(manifest);
    }

    [Fact]
    public async Task Basic_credentials_are_sent_once_the_upstream_asks_and_then_up_front()
    {
        _upstream.Basic = ("robot", "robot-pw");
        var (_, _, layers) = _upstream.AddImage("team/app", "1", Random(1000, 7));
        await StartWharfAsync(credentials: true);

        using (var response = await GetManifestAsync("up/team/app", "1")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _client.GetByteArrayAsync($"/v2/up/team/app/blobs/{layers[0]}");
        Assert.Equal(1, _upstream.Requests.Count(r => r.Status == 401));
        Assert.Equal(0, _upstream.TokenRequests);
    }

    [Fact]
    public async Task Manifests_by_tag_are_checked_with_HEAD_by_digest_never_and_served_stale_when_the_upstream_fails()
    {
        var (digest, _, _) = _upstream.AddImage("library/app", "1", Random(1000, 8));
        await StartWharfAsync();

        using (var first = await GetManifestAsync("up/library/app", "1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(digest, first.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var second = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, _upstream.Count("GET", "/v2/library/app/manifests/1"));
        Assert.Equal(2, _upstream.Count("HEAD", "/v2/library/app/manifests/1"));

        var before = _upstream.Requests.Count;
        using (var byDigest = await GetManifestAsync("up/library/app", digest)) Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(before, _upstream.Requests.Count);

        _upstream.Failing = true;
        using (var stale = await GetManifestAsync("up/library/app", "1"))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(digest, stale.Headers.GetValues("Docker-Content-Digest").Single());
        }
        var stats = Stats;
        Assert.Equal(1, stats.StaleServes);
        Assert.False(stats.Reachable);
        Assert.Contains("503", stats.LastError);
        Assert.Equal(1, stats.CacheMisses);
        Assert.Equal(3, stats.CacheHits);

        // Not cached and the upstream failing: the client is told why.
        using var cold = await GetManifestAsync("up/library/other", "1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, cold.StatusCode);
        using var error = JsonDocument.Parse(await cold.Content.ReadAsStringAsync());
        Assert.StartsWith($"upstream 'up' ({_upstream.Url}) failed", error.RootElement.GetProperty("errors")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_upstream_that_times_out_is_not_asked_again_for_a_while_and_the_cache_answers()
    {
        var (digest, _, _) = _upstream.AddImage("library/app", "1", Random(1000, 19));
        await StartWharfAsync();
        using (var first = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        _host.Services.GetRequiredService<UpstreamCatalog>().Find("up")!.Client.RequestTimeout = TimeSpan.FromMilliseconds(300);

        _upstream.Delay = TimeSpan.FromSeconds(5);
        var asked = _upstream.Requests.Count;
        using (var slow = await GetManifestAsync("up/library/app", "1")) Assert.Equal(digest, slow.Headers.GetValues("Docker-Content-Digest").Single());
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var fast = await GetManifestAsync("up/library/app", "1")) Assert.Equal(digest, fast.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(250), $"the second stale answer took {watch.Elapsed}");
        Assert.Equal(2, Stats.StaleServes);
        Assert.Contains("did not answer in time", Stats.LastError);
        Assert.True(_host.Services.GetRequiredService<UpstreamCatalog>().Find("up")!.Client.IsBackingOff);
        await WaitUntilAsync(() => _upstream.Requests.Count == asked + 1); // the timed-out HEAD, and nothing after it
    }

    [Fact]
    public async Task A_tag_moved_upstream_is_fetched_again_and_an_unknown_one_is_unknown()
    {
        var (v1, _, _) = _upstream.AddImage("library/app", "1", Random(1000, 9));
        await StartWharfAsync();
        using (var first = await GetManifestAsync("up/library/app", "1")) Assert.Equal(v1, first.Headers.GetValues("Docker-Content-Digest").Single());

        var (v2, _, _) = _upstream.AddImage("library/app", "1", Random(1000, 10));
        using (var moved = await GetManifestAsync("up/library/app", "1")) Assert.Equal(v2, moved.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(2, _upstream.Count("GET", "/v2/library/app/manifests/1"));

        using var missing = await GetManifestAsync("up/library/app", "nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("MANIFEST_UNKNOWN", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Children_of_a_cached_index_are_fetched_on_demand_and_recorded_as_references()
    {
        var (amd64, _, _) = _upstream.AddImage("library/multi", "amd64", Random(1000, 11));
        var (arm64, _, _) = _upstream.AddImage("library/multi", "arm64", Random(1000, 12));
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.index.v1+json",
            manifests = new[] { amd64, arm64 }.Select(d => new { mediaType = "application/vnd.oci.image.manifest.v1+json", digest = d, size = 300 }),
        });
        var indexDigest = _upstream.AddManifest("library/multi", index, "application/vnd.oci.image.index.v1+json", "latest");
        await StartWharfAsync();

        using (var response = await GetManifestAsync("up/library/multi", "latest")) Assert.Equal(indexDigest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(0, _upstream.Count("GET", $"/v2/library/multi/manifests/{amd64}"));
        using (var child = await GetManifestAsync("up/library/multi", amd64)) Assert.Equal(HttpStatusCode.OK, child.StatusCode);
        Assert.Equal(1, _upstream.Count("GET", $"/v2/library/multi/manifests/{amd64}"));
        Assert.Equal(0, _upstream.Count("GET", $"/v2/library/multi/manifests/{arm64}"));

        var references = await QueryAsync(db => (from r in db.ManifestReferences
                                                  join m in db.Manifests on r.ManifestId equals m.Id
                                                  where m.Digest == indexDigest
                                                  orderby r.Ordinal
                                                  select r.Digest).ToListAsync());
        Assert.Equal([amd64, arm64], references);
    }

    [Fact]
    public async Task HEAD_and_ranged_GET_of_a_cold_blob()
    {
        var content = Random(100_000, 13);
        var digest = _upstream.AddBlob(content);
        await StartWharfAsync();

        using (var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/up/team/blob/blobs/{digest}")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        }
        Assert.Equal(0, _upstream.Count("GET", $"/v2/team/blob/blobs/{digest}"));

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/up/team/blob/blobs/{digest}");
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var partial = await _client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content.AsSpan(1000, 1000).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/blob/blobs/{digest}"));

        using var unknown = await _client.GetAsync($"/v2/up/team/blob/blobs/{FakeUpstream.DigestOf([1, 2, 3])}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("BLOB_UNKNOWN", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Expiry_unreferences_what_was_not_pulled_within_the_ttl_and_leaves_private_repositories_alone()
    {
        var (digest, config, layers) = _upstream.AddImage("library/app", "1", Random(1000, 14));
        await StartWharfAsync(ttl: "1h");
        using (var response = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _client.GetByteArrayAsync($"/v2/up/library/app/blobs/{layers[0]}");
        await _client.GetByteArrayAsync($"/v2/up/library/app/blobs/{config}");
        var own = await _client.PushBlobAsync("team/own", Random(500, 15));

        var expiry = _host.Services.GetRequiredService<CacheExpiry>();
        Assert.Empty(await expiry.ExpireAsync(DateTime.UtcNow.AddMinutes(50), CancellationToken.None));

        var results = await expiry.ExpireAsync(DateTime.UtcNow.AddHours(2), CancellationToken.None);
        var result = Assert.Single(results);
        Assert.Equal(new CacheExpiryResult("up", 1, 1, 2), result);
        Assert.False(await QueryAsync(db => db.Manifests.AnyAsync(m => m.Digest == digest)));
        Assert.False(await QueryAsync(db => db.RepositoryBlobs.AnyAsync(b => b.Digest == layers[0])));
        Assert.True(await QueryAsync(db => db.RepositoryBlobs.AnyAsync(b => b.Digest == own)));
        Assert.DoesNotContain("up/library/app", await _client.GetStringAsync("/v2/_catalog"));

        // Pulled again: fetched again (the manifest), and the cache starts over.
        using (var again = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(2, _upstream.Count("GET", "/v2/library/app/manifests/1"));
    }

    [Fact]
    public async Task A_pull_refreshes_the_last_pulled_time()
    {
        var (digest, _, _) = _upstream.AddImage("library/app", "1", Random(1000, 16));
        await StartWharfAsync(ttl: "2s");
        using (var response = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cachedAt = await QueryAsync(db => db.Manifests.Where(m => m.Digest == digest).Select(m => m.LastPulledAt).SingleAsync());
        await Task.Delay(400); // more than a tenth of the TTL: the next pull is recorded
        using (var response = await GetManifestAsync("up/library/app", "1")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pulledAt = await QueryAsync(db => db.Manifests.Where(m => m.Digest == digest).Select(m => m.LastPulledAt).SingleAsync());
        Assert.True(pulledAt > cachedAt, $"{pulledAt:O} is not after {cachedAt:O}");
    }

    [Fact]
    public async Task Pushes_and_deletes_under_a_proxied_prefix_are_unsupported()
    {
        await StartWharfAsync();
        using var push = await _client.PostAsync("/v2/up/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, push.StatusCode);
        var body = await push.Content.ReadAsStringAsync();
        Assert.Contains("UNSUPPORTED", body);
        Assert.Contains("pull-through cache of upstream", body);
        using var manifest = await _client.PutAsync("/v2/up/team/app/manifests/1", new ByteArrayContent(Encoding.UTF8.GetBytes("{}")));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, manifest.StatusCode);
        using var delete = await _client.DeleteAsync($"/v2/up/team/app/manifests/{FakeUpstream.DigestOf([1])}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);

        // Outside the prefix: an ordinary private repository.
        await _client.PushBlobAsync("team/app", Random(100, 17));
    }

    [Fact]
    public async Task Anonymous_pulls_through_an_upstream_with_credentials_are_refused_unless_allowed()
    {
        _upstream.Basic = ("robot", "robot-pw");
        _upstream.AddImage("library/app", "1", Random(100, 18));
        await StartWharfAsync(credentials: true, allowAnonymous: false);

        using var response = await GetManifestAsync("up/library/app", "1");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("DENIED", body);
        Assert.Contains("AllowAnonymous", body);
        Assert.DoesNotContain("robot-pw", body);
        Assert.Empty(_upstream.Requests);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }
}
