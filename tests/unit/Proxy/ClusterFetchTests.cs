using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Proxy;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>
/// Two instances sharing one store and one metadata database (SQLite: one data directory; PostgreSQL: one database,
/// in the suite's PostgreSQL run) pull the same cold blob at once: the upstream sees one GET, the instance that did
/// not fetch serves the blob from the store, and when the fetching instance's GET fails the other one takes over.
/// Manifests fetched by tag are shared the same way.
/// </summary>
public sealed class ClusterFetchTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private RegistryTestHost _first = null!;
    private RegistryTestHost _second = null!;

    private string[] UpstreamSettings =>
        ["--Wharf:Upstreams:0:Name=up", "--Wharf:Upstreams:0:Prefix=up", "--Wharf:Upstreams:0:Url=" + _upstream.Url];

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _first = new RegistryTestHost { Settings = UpstreamSettings };
        await _first.InitializeAsync();
        _second = new RegistryTestHost
        {
            Settings =
            [
                .. UpstreamSettings,
                "--registry:storage:filesystem:rootdirectory=" + _first.RootDirectory,
                "--Wharf:DataDirectory=" + Path.Combine(_first.RootDirectory, "wharf"),
                .. _first.Database.HostSettings,
            ],
        };
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static UpstreamBlobFetcher Fetcher(RegistryTestHost host) => host.Services.GetRequiredService<UpstreamBlobFetcher>();

    private static UpstreamStats Stats(RegistryTestHost host) => host.Services.GetRequiredService<UpstreamStatistics>().Get("up");

    [Fact]
    public async Task A_cold_blob_pulled_through_two_instances_at_once_is_fetched_from_the_upstream_once()
    {
        var content = TestContent.RandomBytes(2 << 20, 21);
        var digest = _upstream.AddBlob(content);
        var gate = new TaskCompletionSource();
        _upstream.BlobBody = (_, bytes) => new GatedStream(bytes, 128 * 1024, gate.Task);
        using var a = _first.CreateClient();
        using var b = _second.CreateClient();
        var path = $"/v2/up/team/app/blobs/{digest}";

        // The first instance has the upstream's answer and the fetch lease; the second one waits for that lease.
        using var streaming = await a.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
        var waiting = b.GetByteArrayAsync(path);
        await WaitUntilAsync(() => Fetcher(_second).WaitingForOtherInstance == 1 || waiting.IsCompleted);
        Assert.False(waiting.IsCompleted, "the second instance answered before the first one had the blob");
        gate.SetResult();

        Assert.Equal(content, await streaming.Content.ReadAsByteArrayAsync());
        Assert.Equal(content, await waiting);
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
        Assert.Equal(1, Stats(_first).Fetches);
        Assert.Equal(0, Stats(_second).Fetches);
    }

    [Fact]
    public async Task When_the_fetching_instance_fails_the_waiting_one_fetches_and_its_client_gets_the_blob()
    {
        var content = TestContent.RandomBytes(2 << 20, 22);
        var digest = _upstream.AddBlob(content);
        var breakOff = new TaskCompletionSource();
        var requests = 0;
        // The first GET sends some bytes, then dies when the test says so; the next one is whole.
        _upstream.BlobBody = (_, bytes) => Interlocked.Increment(ref requests) == 1
            ? new GatedStream(bytes, 128 * 1024, breakOff.Task)
            : new MemoryStream(bytes);
        using var a = _first.CreateClient();
        using var b = _second.CreateClient();
        var path = $"/v2/up/team/app/blobs/{digest}";

        using var doomed = await a.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        var waiting = b.GetByteArrayAsync(path);
        await WaitUntilAsync(() => Fetcher(_second).WaitingForOtherInstance == 1 || waiting.IsCompleted);
        Assert.False(waiting.IsCompleted, "the second instance answered before the first one's fetch ended");
        breakOff.SetException(new IOException("the upstream died"));

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var received = await doomed.Content.ReadAsByteArrayAsync();
            Assert.Fail($"the first client received {received.Length} bytes as if the body were whole");
        });
        Assert.Equal(content, await waiting);
        Assert.Equal(2, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
        Assert.Equal(1, Stats(_second).Fetches);
        // Cached now, for both instances.
        Assert.Equal(content, await a.GetByteArrayAsync(path));
        Assert.Equal(2, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
    }

    [Fact]
    public async Task A_tag_pulled_through_two_instances_at_once_is_fetched_from_the_upstream_once()
    {
        var (manifest, _, _) = _upstream.AddImage("team/app", "1.0", TestContent.RandomBytes(1000, 23));
        var gate = new TaskCompletionSource();
        _upstream.ManifestGetGate = gate.Task;
        using var a = _first.CreateClient();
        using var b = _second.CreateClient();

        var first = GetManifestAsync(a, "up/team/app", "1.0");
        await WaitUntilAsync(() => _upstream.Count("GET", "/v2/team/app/manifests/1.0") == 1);
        // The second instance asks which digest the tag names (a HEAD), then waits for the first one's GET.
        var second = GetManifestAsync(b, "up/team/app", "1.0");
        await WaitUntilAsync(() => _upstream.Count("HEAD", "/v2/team/app/manifests/1.0") == 2 || second.IsCompleted);
        gate.SetResult();

        Assert.Equal(manifest, await first);
        Assert.Equal(manifest, await second);
        Assert.Equal(1, _upstream.Count("GET", "/v2/team/app/manifests/1.0"));
    }

    private static async Task<string> GetManifestAsync(HttpClient client, string repository, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }
}
