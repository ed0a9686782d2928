using System.Net;
using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// A read-only data directory is survivable. Started on a read-only mount, Wharf serves what the store holds
/// (also what a crash left only in SQLite's write-ahead log), refuses pushes and deletes with the spec's error, and
/// /readyz says why. A disk that turns read-only under a running Wharf (ext4 remounting itself read-only after an
/// error) is reported the same way, pulls keep working, and the process does not die (no SIGBUS from a mapped
/// SQLite file).
/// </summary>
public sealed class ReadOnlyStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private static byte[] Layer(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task AssertPullsAsync(RegistryHttp http, string repository, byte[] layer)
    {
        var (_, digest, _, status) = await http.ManifestAsync(repository, "1");
        Assert.True(status == 200, $"pulling {repository}:1 answered {status}");
        Assert.NotNull(digest);
        Assert.Equal(layer, await http.Client.GetByteArrayAsync($"/v2/{repository}/blobs/{RegistryHttp.Sha256(layer)}"));
    }

    private static async Task AssertRefusedAsReadOnlyAsync(HttpResponseMessage response, string root)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var error = json.RootElement.GetProperty("errors")[0];
        Assert.Equal("UNSUPPORTED", error.GetProperty("code").GetString());
        Assert.Contains("read-only", error.GetProperty("message").GetString());
        Assert.DoesNotContain(root, body);
    }

    private static async Task AssertWritesRefusedAsync(RegistryHttp http, string root, string repository, string manifestDigest)
    {
        using (var push = await TestImages.PushBlobAsync(http, "team/new", Layer(4096, 99))) await AssertRefusedAsReadOnlyAsync(push, root);
        using (var delete = await http.DeleteManifestAsync(repository, manifestDigest)) await AssertRefusedAsReadOnlyAsync(delete, root);
    }

    private static async Task<string> ReadinessAsync(RegistryHttp http)
    {
        using var ready = await http.Client.GetAsync("/readyz");
        var report = await ready.Content.ReadAsStringAsync();
        // Degraded, not unhealthy: the instance serves pulls, so a load balancer keeps it.
        Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{(int)ready.StatusCode} {report}");
        using var json = JsonDocument.Parse(report);
        Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
        Assert.Contains("storage read-only", json.RootElement.GetProperty("checks").GetProperty("storage").GetProperty("description").GetString());
        return report;
    }

    /// <summary>Runs the checks against <paramref name="wharf"/>; a failure carries its log.</summary>
    private static async Task CheckAsync(WharfProcess wharf, Func<RegistryHttp, Task> checks)
    {
        using var http = new RegistryHttp(wharf.HostPort);
        try
        {
            await checks(http);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{wharf.Log}", e);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{wharf.Log}");
        }
    }

    [Fact]
    public async Task Started_on_a_read_only_store_Wharf_serves_pulls_and_refuses_writes_clearly()
    {
        await using var disk = await SmallFileSystem.MountAsync(_temp.Combine("disk"), 64);
        var root = Path.Combine(disk.Path, "root");
        var clean = Layer(256 * 1024, 1);
        var crashed = Layer(256 * 1024, 2);
        string cleanDigest;

        // A clean shutdown: the database has no write-ahead log left.
        await using (var wharf = new WharfProcess(root))
        {
            await wharf.StartAsync();
            using var http = new RegistryHttp(wharf.HostPort);
            cleanDigest = await TestImages.PushImageAsync(http, "team/clean", "1", clean);
            await wharf.StopAsync();
        }
        Assert.False(File.Exists(Path.Combine(root, "wharf", "registry.db-wal")), "a clean shutdown left a write-ahead log");

        await disk.RemountAsync(readOnly: true);
        await using (var wharf = new WharfProcess(root))
        {
            await wharf.StartAsync();
            await CheckAsync(wharf, async http =>
            {
                await AssertPullsAsync(http, "team/clean", clean);
                await AssertWritesRefusedAsync(http, root, "team/clean", cleanDigest);
                await ReadinessAsync(http);
                Assert.Contains("data directory is read-only", wharf.Log);
            });
            await wharf.StopAsync();
        }

        // A crash: the last push is only in SQLite's write-ahead log, which the read-only start must read.
        await disk.RemountAsync(readOnly: false);
        await using (var wharf = new WharfProcess(root))
        {
            await wharf.StartAsync();
            using var http = new RegistryHttp(wharf.HostPort);
            await TestImages.PushImageAsync(http, "team/crashed", "1", crashed);
            await wharf.KillAsync();
        }
        Assert.True(new FileInfo(Path.Combine(root, "wharf", "registry.db-wal")).Length > 0, "the crash left no write-ahead log to read");

        await disk.RemountAsync(readOnly: true);
        await using (var wharf = new WharfProcess(root))
        {
            await wharf.StartAsync();
            await CheckAsync(wharf, async http =>
            {
                await AssertPullsAsync(http, "team/clean", clean);
                await AssertPullsAsync(http, "team/crashed", crashed);
                await AssertWritesRefusedAsync(http, root, "team/clean", cleanDigest);
                await ReadinessAsync(http);
            });
            await wharf.StopAsync();
        }
    }

    [Fact]
    public async Task A_disk_that_turns_read_only_under_a_running_Wharf_is_reported_and_pulls_keep_working()
    {
        await using var disk = await LoopFileSystem.MountAsync(_temp.Combine("ext4"), 64);
        var root = Path.Combine(disk.Path, "root");
        var layer = Layer(512 * 1024, 3);
        await using var wharf = new WharfProcess(root);
        await wharf.StartAsync();
        using var http = new RegistryHttp(wharf.HostPort);
        var digest = await TestImages.PushImageAsync(http, "team/app", "1", layer);
        await AssertPullsAsync(http, "team/app", layer);

        await disk.FailAsync();

        await CheckAsync(wharf, async http =>
        {
            await ReadinessAsync(http);
            // Many pulls: each reads SQLite through its write-ahead-log index (the mapped -shm file) on the failed disk.
            for (var i = 0; i < 50; i++) await AssertPullsAsync(http, "team/app", layer);
            using (var push = await TestImages.PushBlobAsync(http, "team/new", Layer(64 * 1024, 4))) await AssertRefusedAsReadOnlyAsync(push, root);
            using (var delete = await http.DeleteManifestAsync("team/app", digest)) await AssertRefusedAsReadOnlyAsync(delete, root);
            await AssertPullsAsync(http, "team/app", layer);
        });
        Assert.False(wharf.HasExited, $"Wharf died on the read-only disk\n{wharf.Log}");
    }
}
