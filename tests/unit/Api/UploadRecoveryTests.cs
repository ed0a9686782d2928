using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Maintenance;
using Wharf.Registry.Metadata;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// What a session reports and keeps after a chunk failed part way, and how soon abandoned sessions give their space
/// back: only acknowledged bytes are ever reported, the client resumes from there, and sessions that never received
/// a byte, failed their last chunk or lost their writer are purged after the short abandoned age.
/// </summary>
public sealed class UploadRecoveryTests : IAsyncLifetime
{
    private const string Repo = "recovery/app";
    private const int Checkpoint = 1 << 20;

    private readonly RegistryTestHost _host = new()
    {
        Settings = [$"--Wharf:Uploads:CheckpointBytes={Checkpoint}", "--Wharf:Uploads:AbandonedAge=00:30:00"],
    };

    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 13 + i / 251)).ToArray();

    [Fact]
    public async Task A_ranged_chunk_that_breaks_off_is_not_reported_and_the_client_resumes_from_the_acknowledged_end()
    {
        var content = Pattern(300_000);
        var location = await _client.StartUploadAsync(Repo);
        using (var first = await _client.PatchAsync(location, Ranged(content[..100_000], 0))) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        // The second chunk's client dies after sending part of it.
        await SendAndBreakOffAsync(_client, HttpMethod.Patch, location, content[100_000..], breakAfter: 50_000, $"100000-{content.Length - 1}");

        using (var status = await _client.GetAsync(location))
            Assert.Equal("0-99999", Header(status, "Range"));
        using (var rest = await _client.PatchAsync(location, Ranged(content[100_000..], 100_000))) Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var blob = await _client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(content)}");
        Assert.Equal(content, await blob.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_streamed_patch_that_breaks_off_keeps_its_checkpoints_and_resumes_from_them()
    {
        var content = Pattern(3 * Checkpoint + Checkpoint / 2);
        var location = await _client.StartUploadAsync(Repo);
        // The client dies once the registry has recorded two checkpoints (and received a little more).
        await SendAndBreakOffAsync(_client, HttpMethod.Patch, location, content, breakAfter: 2 * Checkpoint + 1000,
            beforeBreaking: () => WaitForRangeAsync(location, $"0-{2 * Checkpoint - 1}"));

        using (var status = await _client.GetAsync(location))
            Assert.Equal($"0-{2 * Checkpoint - 1}", Header(status, "Range"));
        using (var rest = await _client.PatchAsync(location, Ranged(content[(2 * Checkpoint)..], 2 * Checkpoint))) Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Abandoned_sessions_are_purged_after_the_short_age_and_healthy_ones_are_kept()
    {
        var empty = await _client.StartUploadAsync(Repo);
        var healthy = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(healthy, Bytes(Pattern(1000)))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var failed = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(failed, Bytes(Pattern(1000)))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using (var outOfOrder = await _client.PatchAsync(failed, Ranged(Pattern(10), 5)))
            await AssertErrorAsync(outOfOrder, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        var crashed = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(crashed, Bytes(Pattern(1000)))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        // As a process that died mid-chunk leaves it: claimed, and the claim lapsed.
        var crashedId = IdOf(crashed);
        await WithDbAsync(db => db.UploadSessions.Where(s => s.Id == crashedId).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.ClaimToken, Guid.NewGuid()).SetProperty(s => s.ClaimExpiresAt, DateTime.UtcNow.AddSeconds(-1))));

        var purger = _host.Services.GetRequiredService<UploadPurger>();
        Assert.Equal(0, await purger.PurgeAsync(DateTime.UtcNow.AddMinutes(29), dryRun: false, CancellationToken.None));
        Assert.Equal(3, await purger.PurgeAsync(DateTime.UtcNow.AddMinutes(31), dryRun: true, CancellationToken.None));
        Assert.Equal(3, await purger.PurgeAsync(DateTime.UtcNow.AddMinutes(31), dryRun: false, CancellationToken.None));

        foreach (var gone in new[] { empty, failed, crashed })
        {
            using var status = await _client.GetAsync(gone);
            await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            Assert.False(Directory.Exists(StagingDirectory(gone)));
        }
        using (var kept = await _client.GetAsync(healthy)) Assert.Equal("0-999", Header(kept, "Range"));
        Assert.True(Directory.Exists(StagingDirectory(healthy)));

        // The healthy one goes after uploadpurging.age (168h by default), like distribution's.
        Assert.Equal(1, await purger.PurgeAsync(DateTime.UtcNow.AddHours(169), dryRun: false, CancellationToken.None));
        Assert.False(Directory.Exists(StagingDirectory(healthy)));
    }

    [Fact]
    public async Task A_session_being_written_is_not_purged_and_staging_no_session_names_is()
    {
        var writing = await _client.StartUploadAsync(Repo);
        var writingId = IdOf(writing);
        await WithDbAsync(db => db.UploadSessions.Where(s => s.Id == writingId).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.ClaimToken, Guid.NewGuid()).SetProperty(s => s.ClaimExpiresAt, DateTime.UtcNow.AddHours(2))));
        var orphan = Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "uploads", Guid.NewGuid().ToString("D"));
        Directory.CreateDirectory(orphan);
        File.WriteAllBytes(Path.Combine(orphan, "data"), Pattern(10));
        File.SetLastWriteTimeUtc(Path.Combine(orphan, "data"), DateTime.UtcNow.AddHours(-1));

        var purger = _host.Services.GetRequiredService<UploadPurger>();
        Assert.Equal(0, await purger.PurgeAsync(DateTime.UtcNow.AddMinutes(31), dryRun: false, CancellationToken.None));
        using (var status = await _client.GetAsync(writing)) Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.False(File.Exists(Path.Combine(orphan, "data")));
    }

    /// <summary>Waits (a bounded number of status requests) until the session reports <paramref name="range"/>.</summary>
    private async Task WaitForRangeAsync(string location, string range)
    {
        using var client = _host.CreateClient();
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            using var status = await client.GetAsync(location);
            if (Header(status, "Range") == range) return;
            await Task.Yield();
        }
        Assert.Fail($"the session never reported {range}");
    }

    private static Guid IdOf(string location) => Guid.Parse(location.Split('?')[0].TrimEnd('/').Split('/')[^1]);

    private string StagingDirectory(string location) =>
        Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "uploads", IdOf(location).ToString("D"));

    private async Task WithDbAsync(Func<RegistryDbContext, Task> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await action(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }

    private static ByteArrayContent Ranged(byte[] content, long start)
    {
        var body = Bytes(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        return body;
    }

    /// <summary>Sends <paramref name="content"/> as the body, and lets the client die once <c>breakAfter</c> bytes are out.</summary>
    private static async Task SendAndBreakOffAsync(HttpClient client, HttpMethod method, string location, byte[] content, int breakAfter,
        string? contentRange = null, Func<Task>? beforeBreaking = null)
    {
        using var died = new CancellationTokenSource();
        var body = new BreakingContent(content, breakAfter, died, beforeBreaking ?? (() => Task.CompletedTask));
        if (contentRange is not null) body.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendAsync(new HttpRequestMessage(method, location) { Content = body }, died.Token));
    }

    /// <summary>A request body whose sender goes away after <c>breakAfter</c> bytes (the request is aborted, as when a connection drops).</summary>
    private sealed class BreakingContent(byte[] content, int breakAfter, CancellationTokenSource died, Func<Task> beforeBreaking) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(content.AsMemory(0, breakAfter));
            await stream.FlushAsync();
            await beforeBreaking();
            await died.CancelAsync();
            await Task.Delay(Timeout.Infinite, died.Token);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
