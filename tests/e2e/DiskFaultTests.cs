using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// A full disk is survivable: on a small tmpfs the test fills up, a push fails with the spec's error and no server
/// path, /healthz says the storage is full, a delete and garbage collection still work, and Wharf starts again on the
/// full disk and serves what it holds.
/// </summary>
public sealed class DiskFaultTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private static byte[] Random(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The readiness endpoint (/readyz, which runs the storage check; /healthz where it is the only one).</summary>
    private static async Task<HttpResponseMessage> ReadinessAsync(RegistryHttp http)
    {
        var ready = await http.Client.GetAsync("/readyz");
        if (ready.StatusCode != HttpStatusCode.NotFound) return ready;
        ready.Dispose();
        return await http.Client.GetAsync("/healthz");
    }

    private static async Task AssertStorageFullAsync(HttpResponseMessage response, string root)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 507, $"{(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var error = json.RootElement.GetProperty("errors")[0];
        Assert.Equal("UNAVAILABLE", error.GetProperty("code").GetString());
        Assert.Contains("full", error.GetProperty("message").GetString());
        Assert.DoesNotContain(root, body);
        Assert.DoesNotContain("/tmp", body);
    }

    [Fact]
    public async Task On_a_full_disk_pushes_fail_clearly_and_deletes_collection_and_restart_still_work()
    {
        await using var disk = await SmallFileSystem.MountAsync(_temp.Combine("disk"), 96);
        var root = Path.Combine(disk.Path, "root");
        var environment = new Dictionary<string, string> { ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00" };
        var keepLayer = Random(512 * 1024, 1);
        string dropDigest;
        await using (var wharf = new WharfProcess(root, environment))
        {
            await wharf.StartAsync();
            using var http = new RegistryHttp(wharf.HostPort);
            await TestImages.PushImageAsync(http, "team/keep", "1", keepLayer);
            dropDigest = await TestImages.PushImageAsync(http, "team/drop", "1", Random(8 << 20, 2));

            // Room for the reserve and a little more: a 30 MiB push runs out of space part way.
            disk.Fill("filler-1", leaveBytes: 20 << 20);
            var freeBefore = disk.FreeBytes;
            using (var failed = await TestImages.PushBlobAsync(http, "team/big", Random(30 << 20, 3)))
            {
                Assert.True((int)failed.StatusCode == 507, $"{freeBefore} free: {(int)failed.StatusCode} {await failed.Content.ReadAsStringAsync()}\n{wharf.Log}");
                await AssertStorageFullAsync(failed, root);
            }
            Assert.True(disk.FreeBytes > 16 << 20, "the failed push left its partial file behind");

            // Now full to the last byte: pushes are refused up front, the health check says why.
            disk.Fill("filler-2");
            using (var refused = await TestImages.PushBlobAsync(http, "team/small", Random(4096, 4))) await AssertStorageFullAsync(refused, root);
            using (var health = await ReadinessAsync(http))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                var report = await health.Content.ReadAsStringAsync();
                if (report.TrimStart().StartsWith('{')) Assert.Contains("storage full", report);
            }

            // Deleting still works, and so does garbage collection, while Wharf serves.
            using (var deleted = await http.DeleteManifestAsync("team/drop", dropDigest))
                Assert.True(deleted.StatusCode == HttpStatusCode.Accepted, $"{(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
            var beforeGc = disk.FreeBytes;
            var gc = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect"], environment: new Dictionary<string, string>(environment)
            {
                ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = root,
            });
            Assert.True(gc.ExitCode == 0, gc.All);
            // The 8 MiB layer is gone, and the space reserve that the delete used is back.
            var reserve = new FileInfo(Path.Combine(root, "wharf", "reserve"));
            Assert.True(reserve.Exists, "the reserve was not made again after garbage collection");
            Assert.True(disk.FreeBytes + (16 << 20) - beforeGc > 7 << 20, $"garbage collection freed too little: {beforeGc} then {disk.FreeBytes} bytes free\n{gc.All}");
        }

        // Full again, and Wharf still starts and serves what it holds.
        disk.Fill("filler-3");
        await using (var again = new WharfProcess(root, environment))
        {
            await again.StartAsync();
            using var http = new RegistryHttp(again.HostPort);
            var (_, digest, _, status) = await http.ManifestAsync("team/keep", "1");
            Assert.Equal(200, status);
            Assert.NotNull(digest);
            Assert.Equal(keepLayer, await http.Client.GetByteArrayAsync($"/v2/team/keep/blobs/{RegistryHttp.Sha256(keepLayer)}"));
        }
    }

    [Fact]
    public async Task A_refused_admin_password_makes_Wharf_exit_non_zero_with_the_reason()
    {
        await using var wharf = new WharfProcess(_temp.Combine("root"), new Dictionary<string, string> { ["WHARF_ADMIN_PASSWORD"] = "short" });
        await Assert.ThrowsAsync<InvalidOperationException>(wharf.StartAsync);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, await wharf.WaitForExitAsync(timeout.Token));
        Assert.Contains("WHARF_ADMIN_PASSWORD", wharf.Log);
        Assert.Contains("at least 12 characters", wharf.Log);
    }
}
