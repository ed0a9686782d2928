using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// The pull-through cache against a real upstream: distribution 2.8 behind bcrypt htpasswd credentials, filled with
/// skopeo, pulled through Wharf with skopeo. Each test has its own upstream and its own Wharf.
/// </summary>
public sealed class ProxyCacheTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "wharf-upstream";
    private const string Password = "Upstream-Pa55-e2e";
    private const string WrongPassword = "Not-The-Pa55word-xyz";

    private readonly TempDirectory _temp = new("wharf-proxy");
    private UpstreamRegistry _upstream = null!;
    private WharfProcess _wharf = null!;
    private OciLayout _layout = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _upstream = await UpstreamRegistry.StartWithHtpasswdAsync(_temp.Combine("upstream"), User, Password);
        _layout = new OciLayout(_temp.Combine("images"));
        Directory.CreateDirectory(_temp.Combine("pulled"));
    }

    public async Task DisposeAsync()
    {
        if (_wharf is not null)
        {
            await _wharf.DisposeAsync();
            output.WriteLine("--- Wharf's log ---\n" + _wharf.Log);
        }
        await _upstream.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>Wharf with upstream "up" (prefix up/, right credentials, anonymous allowed) plus any extra settings.</summary>
    private async Task StartWharfAsync(Dictionary<string, string>? extra = null, string ttl = "168h")
    {
        var environment = new Dictionary<string, string>
        {
            // These tests are about the cache, not about Wharf's own access control: callers are anonymous.
            ["Wharf__Auth__Mode"] = "none",
            // Cache hits are logged at debug level; the tests read them from the log.
            ["REGISTRY_LOG_LEVEL"] = "debug",
            ["Wharf__Upstreams__0__Name"] = "up",
            ["Wharf__Upstreams__0__Prefix"] = "up",
            ["Wharf__Upstreams__0__Url"] = _upstream.Url,
            ["Wharf__Upstreams__0__Username"] = User,
            ["Wharf__Upstreams__0__Password"] = Password,
            ["Wharf__Upstreams__0__AllowAnonymous"] = "true",
            ["Wharf__Upstreams__0__Ttl"] = ttl,
        };
        foreach (var (k, v) in extra ?? []) environment[k] = v;
        _wharf = await WharfProcess.StartAsync(_temp.Combine("wharf"), environment);
    }

    private string Through(string reference) => $"docker://{_wharf.HostPort}/{reference}";

    private async Task<string> PullAsync(string reference, string name)
    {
        var destination = _temp.Combine("pulled", name);
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", Through(reference), $"oci:{destination}:x");
        return destination;
    }

    private static Task<ExternalTool.Result> TryPullAsync(string source, string destination) =>
        ExternalTool.SkopeoAsync("copy", "--src-tls-verify=false", source, $"oci:{destination}:x");

    private static string PulledManifestDigest(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layoutDirectory, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    private string StoredBlob(string digest) =>
        Path.Combine(_wharf.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", digest[7..9], digest[7..], "data");

    [Fact]
    public async Task First_pull_fetches_second_works_with_the_upstream_stopped_and_a_moved_tag_is_seen()
    {
        var v1 = _layout.AddImage("v1", [(1, 300_000), (2, 120_000)]);
        var v2 = _layout.AddImage("v2", [(3, 200_000)]);
        await _upstream.PushAsync(_layout, "v1", "library/alpine:3");
        await StartWharfAsync();

        var first = await PullAsync("up/library/alpine:3", "first");
        Assert.Equal(v1.ManifestDigest, PulledManifestDigest(first));
        foreach (var blob in v1.Layers.Append(v1.Config))
        {
            Assert.Equal(1, _upstream.CountRequests("GET", $"/v2/library/alpine/blobs/{blob.Digest}"));
            Assert.True(File.Exists(StoredBlob(blob.Digest)), $"{blob.Digest} is not in Wharf's store");
        }

        // Warm: the tag is checked with a HEAD, no GET goes upstream again.
        await PullAsync("up/library/alpine:3", "warm");
        Assert.Equal(1, _upstream.CountRequests("GET", "/v2/library/alpine/manifests/3"));
        Assert.All(v1.Layers, l => Assert.Equal(1, _upstream.CountRequests("GET", $"/v2/library/alpine/blobs/{l.Digest}")));

        // Upstream down: the cached manifest is served stale, blobs from the store.
        await _upstream.StopAsync();
        var offline = await PullAsync("up/library/alpine:3", "offline");
        Assert.Equal(v1.ManifestDigest, PulledManifestDigest(offline));
        var byDigest = await PullAsync($"up/library/alpine@{v1.ManifestDigest}", "offline-digest");
        Assert.Equal(v1.ManifestDigest, PulledManifestDigest(byDigest));
        Assert.Contains("stale", _wharf.Log);
        // Engine events for the audit trail.
        Assert.Contains("CacheMiss up/library/alpine tag=3", _wharf.Log);
        // A blob hit has no tag (the log renders it as null).
        Assert.Contains($"CacheHit up/library/alpine tag=null digest={v1.Layers[0].Digest}", _wharf.Log);

        // Upstream back, tag moved: the next pull by tag sees the new image.
        await _upstream.RestartAsync();
        await _upstream.PushAsync(_layout, "v2", "library/alpine:3");
        var moved = await PullAsync("up/library/alpine:3", "moved");
        Assert.Equal(v2.ManifestDigest, PulledManifestDigest(moved));

        using var http = new RegistryHttp(_wharf.HostPort);
        Assert.Equal(["3"], await http.TagsAsync("up/library/alpine"));
        Assert.Contains("up/library/alpine", await http.CatalogAsync());
    }

    [Fact]
    public async Task Eight_concurrent_cold_pulls_cause_one_upstream_GET_per_blob()
    {
        var image = _layout.AddImage("big", [(10, 24 << 20), (11, 16 << 20), (12, 8 << 20)]);
        await _upstream.PushAsync(_layout, "big", "team/tool:1.0");
        await StartWharfAsync();

        var pulls = Enumerable.Range(0, 8).Select(i => TryPullAsync(Through("up/team/tool:1.0"), _temp.Combine("pulled", $"c{i}"))).ToList();
        var results = await Task.WhenAll(pulls);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.All));
        Assert.All(Enumerable.Range(0, 8), i => Assert.Equal(image.ManifestDigest, PulledManifestDigest(_temp.Combine("pulled", $"c{i}"))));

        foreach (var blob in image.Layers.Append(image.Config))
        {
            var gets = _upstream.CountRequests("GET", $"/v2/team/tool/blobs/{blob.Digest}");
            Assert.True(gets == 1, $"blob {blob.Digest} ({blob.Size} bytes) was fetched {gets} times");
        }
        Assert.Equal(1, _upstream.CountRequests("GET", "/v2/team/tool/manifests/1.0"));
        var misses = _wharf.Log.Split('\n').Count(l => l.Contains("CacheMiss up/team/tool"));
        output.WriteLine($"8 concurrent pulls: {misses} cache misses answered from {image.Layers.Count + 2} upstream GETs");
    }

    [Fact]
    public async Task A_wrong_password_gives_a_clear_error_and_is_never_echoed()
    {
        _layout.AddImage("v1", [(20, 100_000)]);
        await _upstream.PushAsync(_layout, "v1", "library/alpine:3");
        await StartWharfAsync(new()
        {
            ["Wharf__Upstreams__1__Name"] = "bad",
            ["Wharf__Upstreams__1__Prefix"] = "bad",
            ["Wharf__Upstreams__1__Url"] = _upstream.Url,
            ["Wharf__Upstreams__1__Username"] = User,
            ["Wharf__Upstreams__1__Password"] = WrongPassword,
            ["Wharf__Upstreams__1__AllowAnonymous"] = "true",
            ["Wharf__Upstreams__2__Name"] = "locked",
            ["Wharf__Upstreams__2__Prefix"] = "locked",
            ["Wharf__Upstreams__2__Url"] = _upstream.Url,
            ["Wharf__Upstreams__2__Username"] = User,
            ["Wharf__Upstreams__2__Password"] = Password,
        });

        var wrong = await TryPullAsync(Through("bad/library/alpine:3"), _temp.Combine("pulled", "bad"));
        output.WriteLine(wrong.All);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains($"upstream 'bad' ({_upstream.Url}) rejected the credentials configured for user '{User}'", wrong.All);
        Assert.DoesNotContain(WrongPassword, wrong.All);

        // An upstream with credentials is not shared with anonymous callers unless AllowAnonymous is set.
        var upstreamRequests = _upstream.AccessLog().Count();
        var anonymous = await TryPullAsync(Through("locked/library/alpine:3"), _temp.Combine("pulled", "locked"));
        output.WriteLine(anonymous.All);
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("anonymous pulls through it are not allowed", anonymous.All);
        Assert.Equal(upstreamRequests, _upstream.AccessLog().Count());

        await PullAsync("up/library/alpine:3", "good");
        Assert.DoesNotContain(WrongPassword, _wharf.Log);
        Assert.DoesNotContain(Password, _wharf.Log);
    }

    [Fact]
    public async Task Killing_the_upstream_in_the_middle_of_a_large_blob_fails_the_pull_and_caches_nothing_partial()
    {
        const long size = 512L << 20;
        var layer = await _upstream.PushLargeImageAsync("big/image", "1", size, seed: 31);
        await StartWharfAsync();
        var scratch = Path.Combine(_wharf.RootDirectory, "docker", "registry", "v2", "_wharf", "tmp");

        var pull = TryPullAsync(Through("up/big/image:1"), _temp.Combine("pulled", "killed"));
        long seen = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !pull.IsCompleted)
        {
            seen = LargestFile(scratch);
            if (seen > 64L << 20) break;
            await Task.Delay(5);
        }
        Assert.True(seen > 64L << 20 && seen < size, $"the blob was not caught in flight (scratch file at {seen} bytes)");
        await _upstream.StopAsync(); // SIGKILL, in the middle of the blob
        output.WriteLine($"killed the upstream with {seen >> 20} MiB of {size >> 20} MiB in Wharf's scratch file");

        var result = await pull;
        output.WriteLine(result.All);
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(StoredBlob(layer)), "a partial blob was committed");
        var leftovers = await WaitForAsync(() => Directory.Exists(scratch) ? Directory.GetFiles(scratch).Length : 0, n => n == 0);
        Assert.Equal(0, leftovers);
        Assert.Contains("nothing was cached", _wharf.Log);

        // With the upstream back, the blob is fetched whole, verified and cached.
        await _upstream.RestartAsync();
        await PullAsync("up/big/image:1", "after");
        Assert.True(File.Exists(StoredBlob(layer)));
        Assert.Equal(size, new FileInfo(StoredBlob(layer)).Length);
    }

    [Fact]
    public async Task Content_not_pulled_within_the_TTL_is_dropped_from_the_cache_and_a_pull_refreshes_it()
    {
        var image = _layout.AddImage("v1", [(40, 200_000), (41, 50_000)]);
        await _upstream.PushAsync(_layout, "v1", "library/busybox:1");
        await StartWharfAsync(ttl: "4s");
        using var http = new RegistryHttp(_wharf.HostPort);

        await PullAsync("up/library/busybox:1", "t0");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await PullAsync("up/library/busybox:1", "t1"); // refreshes the last-pulled time
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        // 5 s after caching but 2.5 s after the last pull: still cached, layers still linked.
        Assert.Contains("up/library/busybox", await http.CatalogAsync());

        var catalog = await WaitForAsync(http.CatalogAsync, c => !c.Contains("up/library/busybox"), TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("up/library/busybox", catalog);
        Assert.Empty(await http.TagsAsync("up/library/busybox"));
        // The log is written asynchronously: the line can land a moment after the commit the catalog already shows.
        const string expiryLine = "Cache expiry for upstream up: removed 1 manifests, 1 tags and 3 blob links";
        var log = await WaitForAsync(() => Task.FromResult(_wharf.Log), l => l.Contains(expiryLine), TimeSpan.FromSeconds(10));
        Assert.Contains(expiryLine, log);

        // Nothing references the bytes any more: garbage collection (run here as the command, Wharf stopped) removes them.
        foreach (var blob in image.Layers) Assert.True(File.Exists(StoredBlob(blob.Digest)));
        await _wharf.DisposeAsync();
        var gc = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect"], environment: new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = _wharf.RootDirectory,
            ["REGISTRY_STORAGE_DELETE_ENABLED"] = "true",
            ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00",
        });
        output.WriteLine(gc.All);
        Assert.True(gc.ExitCode == 0, gc.All);
        foreach (var blob in image.Layers.Append(image.Config))
            Assert.False(File.Exists(StoredBlob(blob.Digest)), $"{blob.Digest} is still in the store after garbage collection");
        Assert.False(File.Exists(StoredBlob(image.ManifestDigest)));
        _wharf = null!;
    }

    [Fact]
    public async Task Private_repositories_accept_pushes_beside_the_cache_which_refuses_them()
    {
        var cached = _layout.AddImage("hub", [(50, 150_000)]);
        var own = _layout.AddImage("own", [(51, 180_000)]);
        await _upstream.PushAsync(_layout, "hub", "library/nginx:1.27");
        await StartWharfAsync();

        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:own", Through("team/app:1.0"));
        var pulledOwn = await PullAsync("team/app:1.0", "own");
        Assert.Equal(own.ManifestDigest, PulledManifestDigest(pulledOwn));
        var pulledCached = await PullAsync("up/library/nginx:1.27", "cached");
        Assert.Equal(cached.ManifestDigest, PulledManifestDigest(pulledCached));
        Assert.Equal(0, _upstream.CountRequests("HEAD", "/v2/team/app/manifests/1.0"));

        var refused = await ExternalTool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:own", Through("up/library/nginx:mine"));
        output.WriteLine(refused.All);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("pull-through cache of upstream 'up'", refused.All);

        using var http = new RegistryHttp(_wharf.HostPort);
        using var delete = await http.DeleteManifestAsync("up/library/nginx", cached.ManifestDigest);
        Assert.Equal(405, (int)delete.StatusCode);
        Assert.Contains("UNSUPPORTED", await delete.Content.ReadAsStringAsync());
        Assert.Equal(["team/app", "up/library/nginx"], (await http.CatalogAsync()).Order().ToArray());
    }

    [Fact]
    public async Task Containerd_ns_parameter_selects_the_upstream_by_host()
    {
        var image = _layout.AddImage("v1", [(60, 100_000)]);
        await _upstream.PushAsync(_layout, "v1", "library/redis:7");
        await StartWharfAsync();
        using var http = new RegistryHttp(_wharf.HostPort);

        var (content, digest, _, status) = await http.ManifestAsync("library/redis", $"7?ns={_upstream.HostPort}");
        Assert.Equal(200, status);
        Assert.Equal(image.ManifestDigest, digest);
        Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(content));
        using var blob = await http.Client.GetAsync($"/v2/library/redis/blobs/{image.Layers[0].Digest}?ns={_upstream.HostPort}");
        Assert.Equal(200, (int)blob.StatusCode);
        Assert.Equal(image.Layers[0].Digest, RegistryHttp.Sha256(await blob.Content.ReadAsByteArrayAsync()));

        // Cached where a pull by prefix finds it.
        Assert.Contains("up/library/redis", await http.CatalogAsync());
        var (_, again, _, _) = await http.ManifestAsync("up/library/redis", image.ManifestDigest);
        Assert.Equal(image.ManifestDigest, again);
        Assert.Equal(1, _upstream.CountRequests("GET", $"/v2/library/redis/manifests/7"));
    }

    /// <summary>The size of the largest file in a directory whose files come and go (scratch files are renamed away).</summary>
    private static long LargestFile(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        long largest = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            try
            {
                file.Refresh();
                largest = Math.Max(largest, file.Length);
            }
            catch (FileNotFoundException)
            {
            }
        }
        return largest;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }

    private static Task<T> WaitForAsync<T>(Func<T> probe, Func<T, bool> done) => WaitForAsync(() => Task.FromResult(probe()), done);
}
