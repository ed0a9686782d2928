using System.Net.Http.Headers;
using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// An instance of a three-instance cluster dies with SIGKILL: the upload it was receiving is finished through
/// another instance, the garbage collection lease it held is taken by another, and a portal page that was on it
/// comes back on another instance with the same sign-in.
/// </summary>
public sealed class ClusterFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private WharfCluster _cluster = null!;

    private readonly TempDirectory _temp = new("wharf-cluster-failover");
    private UpstreamRegistry? _upstream;

    /// <summary>
    /// Every instance collects every second (a long grace period: nothing is deleted), so one of them holds the "gc"
    /// lease again and again, and another must take it when its holder dies.
    /// </summary>
    private static readonly Dictionary<string, string> CollectEverySecond = new()
    {
        ["Wharf__GarbageCollection__Interval"] = "00:00:01",
        ["Wharf__GarbageCollection__GracePeriod"] = "01:00:00",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            output.WriteLine(_cluster.Logs);
            await _cluster.DisposeAsync();
        }
        if (_upstream is not null) await _upstream.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_killed_instance_loses_neither_the_upload_it_was_taking_nor_the_collection_lease_it_held()
    {
        _cluster = await WharfCluster.StartAsync(3, CollectEverySecond);
        var content = new byte[8 * 1024 * 1024 + 99];
        Random.Shared.NextBytes(content);
        var digest = RegistryHttp.Sha256(content);
        const string repository = "team/killed";

        // Wait until an instance holds the gc lease, and kill that one while it is receiving an upload.
        var (victim, holderPort) = await LeaseHolderAsync("gc");
        output.WriteLine($"gc lease held by {victim.HostPort} (database connection from port {holderPort})");
        using var onVictim = new RegistryHttp(victim.HostPort);
        var location = (await onVictim.StartUploadAsync(repository)).ToString();
        using (var first = new ByteArrayContent(content[..3_000_000]))
        {
            first.Headers.TryAddWithoutValidation("Content-Range", "0-2999999");
            using var patch = await onVictim.Client.PatchAsync(location, first);
            Assert.Equal(202, (int)patch.StatusCode);
            location = patch.Headers.Location!.ToString();
        }
        var stalled = new StalledContent(content[3_000_000..6_000_000]);
        var interrupted = onVictim.Client.PatchAsync(location, stalled);
        await stalled.HalfSent.Task;
        await victim.KillAsync();
        // The client goes on sending and finds the connection gone.
        stalled.Resume.TrySetResult();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => interrupted);

        // The client asks another instance (through the front) where the upload stands and sends the rest there.
        using var http = new RegistryHttp(_cluster.Front.HostPort);
        long next;
        using (var status = await http.Client.GetAsync(location))
        {
            Assert.Equal(204, (int)status.StatusCode);
            var range = status.Headers.GetValues("Range").Single();
            next = long.Parse(range.Split('-')[1]) + 1;
            output.WriteLine($"after the kill the upload stands at {range}");
            // What was acknowledged before the kill, or as much of the interrupted chunk as reached the store (half was sent).
            Assert.True(next is >= 3_000_000 and <= 4_500_000, $"the upload stands at {range}, outside what was sent");
        }
        using (var rest = new ByteArrayContent(content[(int)next..]))
        {
            rest.Headers.TryAddWithoutValidation("Content-Range", $"{next}-{content.Length - 1}");
            using var patch = await http.Client.PatchAsync(location, rest);
            Assert.Equal(202, (int)patch.StatusCode);
            location = patch.Headers.Location!.ToString();
        }
        using (var put = await http.Client.PutAsync($"{location}{(location.Contains('?') ? '&' : '?')}digest={digest}", null))
        {
            Assert.Equal(201, (int)put.StatusCode);
            Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var blob = await http.Client.GetAsync($"/v2/{repository}/blobs/{digest}"))
            Assert.Equal(digest, RegistryHttp.Sha256(await blob.Content.ReadAsByteArrayAsync()));

        // The lease went with the dead instance's connection; a survivor holds it next, and collections go on.
        var killedAt = DateTime.UtcNow;
        var (successor, _) = await LeaseHolderAsync("gc");
        Assert.NotSame(victim, successor);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (await _cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM \"GcRuns\" WHERE \"State\" = 1 AND \"StartedAt\" > '{killedAt:yyyy-MM-dd HH:mm:ss.ffffff}'") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no collection completed after the lease holder died");
            await Task.Delay(200);
        }
        // A run the dead instance left "running" is recognised as interrupted by the next holder.
        Assert.Equal(0, await _cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM \"GcRuns\" WHERE \"State\" = 0 AND \"StartedAt\" < '{killedAt:yyyy-MM-dd HH:mm:ss.ffffff}'"));
    }

    [Fact]
    public async Task The_schedules_of_a_killed_instance_are_run_by_the_survivors()
    {
        const string user = "wharf-upstream", password = "Upstream-Pa55-failover";
        _upstream = await UpstreamRegistry.StartWithHtpasswdAsync(_temp.Combine("upstream"), user, password);
        var layout = new OciLayout(_temp.Combine("images"));
        var image = layout.AddImage("tool", [(961, 200_000), (962, 30_000)]);
        await _upstream.PushAsync(layout, "tool", "team/tool:1.0");
        // Short periods: an upload no byte reached is abandoned after a second and purged within the next; a cached
        // image nobody pulled for two seconds expires (checked every second). No collection is scheduled, so only the
        // purging schedule removes an upload session (a collection purges them too: the test above covers its timer).
        _cluster = await WharfCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["Wharf__Uploads__AbandonedAge"] = "00:00:01",
            ["Wharf__Uploads__AbandonedCheckInterval"] = "00:00:01",
            ["Wharf__Uploads__MaxSessionsPerCaller"] = "5000",
            ["Wharf__Upstreams__0__Name"] = "up",
            ["Wharf__Upstreams__0__Prefix"] = "up",
            ["Wharf__Upstreams__0__Url"] = _upstream.Url,
            ["Wharf__Upstreams__0__Username"] = user,
            ["Wharf__Upstreams__0__Password"] = password,
            ["Wharf__Upstreams__0__Ttl"] = "00:00:02",
        });

        // The instance caught running upload purging dies in the middle of it; from here on only the survivors run anything.
        // A purge of nothing is over in a few milliseconds, too soon to be seen holding the lease, so uploads nobody
        // sends a byte to keep arriving until one is: every run then has sessions to purge.
        foreach (var instance in _cluster.Instances) RegistryLogins.Register(instance.HostPort, WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword);
        using var abandoning = new CancellationTokenSource();
        var abandoned = Task.Run(async () =>
        {
            using var seeder = new RegistryHttp(_cluster.Instances[0].HostPort);
            for (var n = 0; !abandoning.IsCancellationRequested; n++) await seeder.StartUploadAsync($"team/abandoned-{n % 50}");
        });
        var (victim, _) = await LeaseHolderAsync("upload-purging");
        abandoning.Cancel();
        await abandoned;
        await victim.KillAsync();
        output.WriteLine($"killed {victim.HostPort}, holding the upload-purging lease");
        var survivors = _cluster.Instances.Where(i => i != victim).ToList();

        // An upload nobody sends a byte to, and an image cached by a pull through a survivor.
        using var http = new RegistryHttp(survivors[0].HostPort);
        var upload = (await http.StartUploadAsync("team/abandoned")).ToString();
        var (_, digest, _, status) = await http.ManifestAsync("up/team/tool", "1.0");
        Assert.Equal(200, status);
        Assert.Equal(image.ManifestDigest, digest);
        foreach (var blob in image.Layers.Append(image.Config))
            Assert.Equal(blob.Digest, RegistryHttp.Sha256(await http.Client.GetByteArrayAsync($"/v2/up/team/tool/blobs/{blob.Digest}")));

        // Upload purging: the abandoned sessions are gone (those the killed instance was purging too), on every survivor.
        await WaitUntilAsync(async () =>
        {
            using var response = await http.Client.GetAsync(upload);
            return response.StatusCode == System.Net.HttpStatusCode.NotFound
                && await _cluster.Database.ScalarAsync<long>("SELECT count(*) FROM \"UploadSessions\"") == 0;
        }, "no survivor purged the abandoned uploads");
        using (var other = new RegistryHttp(survivors[1].HostPort))
        using (var response = await other.Client.GetAsync(upload))
            Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal(0, await _cluster.Database.ScalarAsync<long>("SELECT count(*) FROM \"GcRuns\""));

        // Cache expiry: the cached manifest and its tag are dropped, and its blob links with them.
        const string cached = "FROM \"Repositories\" r JOIN {0} x ON x.\"RepositoryId\" = r.\"Id\" WHERE r.\"Name\" = 'up/team/tool'";
        await WaitUntilAsync(async () => await _cluster.Database.ScalarAsync<long>("SELECT count(*) " + string.Format(cached, "\"Manifests\"")) == 0
                && await _cluster.Database.ScalarAsync<long>("SELECT count(*) " + string.Format(cached, "\"RepositoryBlobs\"")) == 0,
            "no survivor expired the cached image");
        Assert.Equal(0, await _cluster.Database.ScalarAsync<long>("SELECT count(*) " + string.Format(cached, "\"Tags\"")));
        Assert.Contains(survivors, s => s.Log.Contains("Cache expiry for upstream up: removed 1 manifests", StringComparison.Ordinal));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="failure"/> after a minute.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until some instance holds the named lease and says which: PostgreSQL knows the client port of the
    /// connection holding the advisory lock, and /proc knows which process owns the socket on that port.
    /// </summary>
    private async Task<(WharfProcess Instance, int Port)> LeaseHolderAsync(string lease)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var ports = await _cluster.Database.ColumnAsync(
                "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
                $"WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'wharf lease {lease}'");
            foreach (var port in ports.Select(int.Parse))
                if (_cluster.Instances.FirstOrDefault(i => OwnsLocalPort(i, port)) is { } holder)
                    return (holder, port);
            Assert.True(DateTime.UtcNow < deadline, $"no instance took the '{lease}' lease within a minute");
            await Task.Delay(10);
        }
    }

    private static bool OwnsLocalPort(WharfProcess instance, int port)
    {
        try
        {
            var inodes = new HashSet<string>();
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{instance.Pid}/fd"))
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(target[8..^1]);
            foreach (var table in new[] { $"/proc/{instance.Pid}/net/tcp", $"/proc/{instance.Pid}/net/tcp6" })
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var local = fields[1];
                    if (Convert.ToInt32(local[(local.LastIndexOf(':') + 1)..], 16) == port && inodes.Contains(fields[9])) return true;
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The process has ended.
        }
        return false;
    }

    [Fact]
    public async Task A_portal_page_whose_instance_dies_says_so_and_a_reload_lands_on_another_instance_still_signed_in()
    {
        _cluster = await WharfCluster.StartAsync(3, CollectEverySecond);
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.SignInAsync(_cluster.Front.Url, WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword);
        // ip_hash affinity: every portal request of this browser went to one instance.
        var portal = _cluster.Front.InstancesThatServed("/").Where(i => i != "-").ToList();
        var affinity = _cluster.Front.InstancesThatServed("/_blazor").Distinct().Single();
        Assert.All(_cluster.Front.InstancesThatServed("/account"), i => Assert.Equal(affinity, i));
        output.WriteLine($"portal on {affinity} ({portal.Count} requests)");

        var loads = 0;
        page.Load += (_, _) => Interlocked.Increment(ref loads);
        await _cluster.Instances.Single(i => i.HostPort == affinity).KillAsync();

        // The reconnect dialog says the connection is lost (it may reload the page by itself once the front answers).
        await page.WaitForSelectorAsync("#components-reconnect-modal[open], h1:has-text('Overview')", new PageWaitForSelectorOptions { State = WaitForSelectorState.Visible });
        var dialogShown = await page.Locator("#components-reconnect-modal[open]").CountAsync() > 0 || loads > 0;
        Assert.True(dialogShown, "neither the reconnect dialog nor a reload followed the instance's death");

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("h1:has-text('Overview')");
        Assert.DoesNotContain("/account/login", page.Url);
        var after = _cluster.Front.InstancesThatServed("/_blazor").Last();
        Assert.NotEqual(affinity, after);
        // The lost connection is logged by blazor.web.js; nothing else may go wrong on the page.
        Assert.DoesNotContain(browser.Errors, e => !e.Contains("WebSocket", StringComparison.OrdinalIgnoreCase) && !e.Contains("502") && !e.Contains("circuit", StringComparison.OrdinalIgnoreCase)
            && !e.Contains("connection", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A request body that sends its first half, then waits to be told to send the rest: the instance dies in between.</summary>
    private sealed class StalledContent(byte[] bytes) : HttpContent
    {
        public TaskCompletionSource HalfSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            HalfSent.TrySetResult();
            await Resume.Task;
            // Written in pieces: the first write after the peer's death may still land in the socket's buffer.
            for (var offset = bytes.Length / 2; offset < bytes.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
