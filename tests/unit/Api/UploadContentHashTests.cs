using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;
using Wharf.Registry.Storage.FileSystem;
using Wharf.Registry.Uploads;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// An upload's digest is computed while its bytes stream in and carried between chunks in the session row, so
/// finishing reads nothing back; and where the staged bytes may have been lost since they were hashed (the machine
/// restarted before they were flushed), finishing hashes them again, so what a crash damaged is refused, never
/// published.
/// </summary>
public sealed class UploadContentHashTests : IAsyncLifetime
{
    private const string Repo = "hashing/app";

    private readonly RegistryTestHost _host = new();
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

    private static void RequireLibcrypto() =>
        Assert.True(ResumableSha256.IsSupported, "libcrypto.so.3 (OpenSSL 3, Debian's libssl3) is needed to save an upload's SHA-256 between chunks");

    [Fact]
    public void A_saved_sha256_state_continues_to_the_digest_of_the_whole()
    {
        RequireLibcrypto();
        var content = TestContent.RandomBytes(1_000_003, 7);
        var random = new Random(11);
        var hash = ResumableSha256.Create();
        var offset = 0;
        while (offset < content.Length)
        {
            var length = Math.Min(content.Length - offset, random.Next(0, 70_000));
            hash.Append(content.AsSpan(offset, length));
            offset += length;
            // Saved after every piece and continued from the text alone, as another instance would.
            hash = ResumableSha256.Restore(hash.SaveState(), offset) ?? throw new Xunit.Sdk.XunitException($"the state at {offset} did not restore");
        }
        Assert.Equal(SHA256.HashData(content), hash.Finish());
    }

    [Fact]
    public void A_state_for_another_length_or_not_a_state_is_not_continued()
    {
        RequireLibcrypto();
        var hash = ResumableSha256.Create();
        hash.Append(new byte[100]);
        var state = hash.SaveState();
        Assert.NotNull(ResumableSha256.Restore(state, 100));
        Assert.Null(ResumableSha256.Restore(state, 99));
        Assert.Null(ResumableSha256.Restore(state, 164));
        Assert.Null(ResumableSha256.Restore("sha256-openssl:AAAA", 100));
        Assert.Null(ResumableSha256.Restore("not a state", 100));
        Assert.Null(ResumableSha256.Restore(null, 100));
    }

    [Fact]
    public async Task Every_acknowledged_chunk_leaves_the_hash_of_exactly_the_acknowledged_bytes_in_the_session()
    {
        RequireLibcrypto();
        var content = TestContent.RandomBytes(300_000, 3);
        var location = await _client.StartUploadAsync(Repo);
        for (var start = 0; start < content.Length; start += 100_000)
        {
            using (var patch = await _client.PatchAsync(location, Ranged(content[start..(start + 100_000)], start)))
                Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            var session = await SessionAsync(location);
            Assert.Equal(start + 100_000, session.Size);
            var restored = ResumableSha256.Restore(session.ContentHashState, session.Size);
            Assert.NotNull(restored);
            Assert.Equal(SHA256.HashData(content.AsSpan(0, start + 100_000)), restored.Finish());
        }
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(content);
    }

    [Fact]
    public async Task A_wrong_digest_is_still_refused_and_the_session_keeps_its_bytes()
    {
        var content = TestContent.RandomBytes(50_000, 4);
        var location = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(location, Bytes(content))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using (var wrong = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content[1..])), null))
            await AssertErrorAsync(wrong, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using (var right = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null))
            Assert.Equal(HttpStatusCode.Created, right.StatusCode);
        await AssertBlobAsync(content);
    }

    [Fact]
    public async Task A_session_without_a_saved_hash_is_finished_by_reading_its_bytes_back()
    {
        var content = TestContent.RandomBytes(120_000, 5);
        var location = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(location, Ranged(content[..60_000], 0))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        // As a session begun under an earlier release, which kept no hash, leaves it.
        var id = IdOf(location);
        await WithDbAsync(db => db.UploadSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.ContentHashState, (string?)null)));
        using (var patch = await _client.PatchAsync(location, Ranged(content[60_000..], 60_000))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Null((await SessionAsync(location)).ContentHashState);
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(content);
    }

    [Fact]
    public async Task Bytes_lost_in_a_machine_crash_before_they_were_flushed_are_refused_at_completion()
    {
        var content = TestContent.RandomBytes(200_000, 6);
        var location = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(location, Ranged(content, 0))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var state = Parse((await SessionAsync(location)).StorageState);
        Assert.Equal(0, state.Flushed);
        Assert.Equal(MachineBoot.Id, state.Boot);

        // The machine restarted (another boot id) and the unflushed end of the file came back as zeros.
        await SetStorageStateAsync(location, state with { Boot = Guid.NewGuid().ToString() });
        var staged = Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "uploads", IdOf(location).ToString("D"), "data");
        await using (var file = new FileStream(staged, FileMode.Open, FileAccess.Write))
        {
            file.Position = 150_000;
            await file.WriteAsync(new byte[50_000]);
        }
        var digest = Digests.Sha256(content);
        using (var put = await _client.PutAsync(WithQuery(location, "digest=" + digest), null))
            await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using (var missing = await _client.GetAsync($"/v2/{Repo}/blobs/{digest}"))
            await AssertErrorAsync(missing, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Bytes_written_by_another_boot_that_survived_are_verified_and_published()
    {
        var content = TestContent.RandomBytes(200_000, 8);
        var location = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(location, Ranged(content[..100_000], 0))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var state = Parse((await SessionAsync(location)).StorageState);
        await SetStorageStateAsync(location, state with { Boot = Guid.NewGuid().ToString() });
        // A chunk after the restart does not make the earlier unflushed bytes this boot's.
        using (var patch = await _client.PatchAsync(location, Ranged(content[100_000..], 100_000))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.NotEqual(MachineBoot.Id, Parse((await SessionAsync(location)).StorageState).Boot);
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(content);
    }

    [Fact]
    public async Task A_state_of_an_earlier_release_which_flushed_every_chunk_resumes()
    {
        var content = TestContent.RandomBytes(80_000, 9);
        var location = await _client.StartUploadAsync(Repo);
        using (var patch = await _client.PatchAsync(location, Ranged(content[..40_000], 0))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var id = IdOf(location);
        var old = $$"""{"driver":"filesystem","id":"{{id}}","size":40000}""";
        await WithDbAsync(db => db.UploadSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.StorageState, old)));
        using (var patch = await _client.PatchAsync(location, Ranged(content[40_000..], 40_000))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using var put = await _client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(content);
    }

    private async Task AssertBlobAsync(byte[] content)
    {
        using var get = await _client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(content)}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    private static FileSystemUploadState Parse(string state) => JsonSerializer.Deserialize(state, StorageStateJson.Default.FileSystemUploadState)!;

    private Task SetStorageStateAsync(string location, FileSystemUploadState state)
    {
        var id = IdOf(location);
        var text = JsonSerializer.Serialize(state, StorageStateJson.Default.FileSystemUploadState);
        return WithDbAsync(db => db.UploadSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.StorageState, text)));
    }

    private async Task<UploadSessionRecord> SessionAsync(string location)
    {
        var id = IdOf(location);
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().UploadSessions.AsNoTracking().SingleAsync(s => s.Id == id);
    }

    private async Task WithDbAsync(Func<RegistryDbContext, Task> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await action(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }

    private static Guid IdOf(string location) => Guid.Parse(location.Split('?')[0].TrimEnd('/').Split('/')[^1]);

    private static ByteArrayContent Ranged(byte[] content, long start)
    {
        var body = Bytes(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        return body;
    }
}
