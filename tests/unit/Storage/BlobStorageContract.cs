using System.Security.Cryptography;
using System.Text;
using Wharf.Registry.Storage;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

/// <summary>
/// What every <see cref="IBlobStorage"/> driver must do. Each driver's test class derives from this and supplies a
/// fresh, empty store, and a second driver instance on the same store (another Wharf instance, or one after a restart).
/// </summary>
public abstract class BlobStorageContract : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected IBlobStorage Storage { get; private set; } = null!;

    /// <summary>A new, empty store.</summary>
    protected abstract Task<IBlobStorage> CreateAsync();

    /// <summary>Another driver instance on the store <see cref="CreateAsync"/> made.</summary>
    protected abstract Task<IBlobStorage> ReopenAsync();

    /// <summary>Whether the store signs URLs a client can GET directly.</summary>
    protected abstract bool SignsUrls { get; }

    public async Task InitializeAsync() => Storage = await CreateAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static byte[] Pattern(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void Same(byte[] expected, byte[]? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
    }

    private Task PutAsync(string key, byte[] content) => Storage.PutAsync(key, new MemoryStream(content), None);

    private static async Task<byte[]> ReadAllAsync(StorageRead read)
    {
        await using (read)
        {
            var buffer = new MemoryStream();
            await read.Content.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    private async Task<byte[]?> GetAsync(string key, long offset = 0, long? length = null) =>
        await Storage.ReadAsync(key, offset, length, None) is { } read ? await ReadAllAsync(read) : null;

    [Fact]
    public async Task A_missing_object_has_no_stat_no_read_and_deletes_quietly()
    {
        Assert.Null(await Storage.StatAsync("no/such/object", None));
        Assert.Null(await Storage.ReadAsync("no/such/object", 0, null, None));
        Assert.Null(await Storage.ReadAsync("no/such/object", 5, 10, None));
        await Storage.DeleteAsync("no/such/object", None);
        await Storage.DeleteManyAsync(["no/such/a", "no/such/b"], None);
    }

    [Fact]
    public async Task Put_stores_the_object_and_a_second_put_replaces_it()
    {
        await PutAsync("a/b/object", "hello world"u8.ToArray());
        var stat = await Storage.StatAsync("a/b/object", None);
        Assert.Equal(new { Key = "a/b/object", Size = 11L }, new { stat!.Key, stat.Size });
        Same("hello world"u8.ToArray(), await GetAsync("a/b/object"));

        await PutAsync("a/b/object", "bye"u8.ToArray());
        Same("bye"u8.ToArray(), await GetAsync("a/b/object"));
        Assert.Equal(3, (await Storage.StatAsync("a/b/object", None))!.Size);
    }

    [Fact]
    public async Task An_empty_object_is_an_object()
    {
        await PutAsync("empty", []);
        Assert.Equal(0, (await Storage.StatAsync("empty", None))!.Size);
        Same([], await GetAsync("empty"));
    }

    [Fact]
    public async Task A_large_stream_goes_in_and_comes_out_unchanged()
    {
        // Larger than every driver's part size, and not a multiple of it.
        var content = Pattern((12 << 20) + 12345);
        var stored = await Storage.PutAsync("large", new NonSeekableStream(new MemoryStream(content)), None);
        Assert.Equal(content.Length, stored);
        Assert.Equal(content.Length, (await Storage.StatAsync("large", None))!.Size);
        await using var read = (await Storage.ReadAsync("large", 0, null, None))!;
        Assert.Equal(content.Length, read.Length);
        Assert.Equal(SHA256.HashData(content), await SHA256.HashDataAsync(read.Content));
    }

    [Fact]
    public async Task Ranged_reads_return_exactly_the_range()
    {
        var content = Pattern(100_000);
        await PutAsync("ranged", content);

        var middle = (await Storage.ReadAsync("ranged", 1000, 5000, None))!;
        Assert.Equal(new { ObjectSize = 100_000L, Offset = 1000L, Length = 5000L }, new { middle.ObjectSize, middle.Offset, middle.Length });
        Same(content[1000..6000], await ReadAllAsync(middle));
        Same(content[99_990..], await GetAsync("ranged", 99_990));
        Same(content[99_990..], await GetAsync("ranged", 99_990, 1000)); // a length past the end stops at the end
        Same([], await GetAsync("ranged", 100_000));
        Same([], await GetAsync("ranged", 200_000, 10));
        Same([], await GetAsync("ranged", 10, 0));
    }

    [Fact]
    public async Task A_put_whose_stream_fails_publishes_nothing_and_keeps_the_old_object()
    {
        var content = Pattern((11 << 20) + 7);
        var failing = new FailingStream(new MemoryStream(content), failAfter: 9 << 20);
        await Assert.ThrowsAsync<IOException>(() => Storage.PutAsync("fresh", failing, None));
        Assert.Null(await Storage.StatAsync("fresh", None));

        await PutAsync("kept", "old"u8.ToArray());
        await Assert.ThrowsAsync<IOException>(() => Storage.PutAsync("kept", new FailingStream(new MemoryStream(content), failAfter: 100), None));
        Same("old"u8.ToArray(), await GetAsync("kept"));
    }

    [Fact]
    public async Task An_upload_appends_parts_and_publishes_them_whole_once()
    {
        var parts = new[] { Pattern(1000, 1), Pattern(6 << 20, 2), Pattern(1, 3), Pattern(300_000, 4) };
        var id = Guid.NewGuid();
        await using var upload = await Storage.StartUploadAsync(id, None);
        Assert.Equal(id, upload.Id);
        foreach (var part in parts) Assert.Equal(part.Length, await upload.AppendAsync(new MemoryStream(part), None));
        Assert.Equal(0, await upload.AppendAsync(new MemoryStream(), None));
        var whole = parts.SelectMany(p => p).ToArray();
        Assert.Equal(whole.Length, upload.Size);

        Assert.Null(await Storage.StatAsync("blobs/target", None)); // nothing under the key before publishing
        await using (var staged = await upload.OpenReadAsync(None))
            Assert.Equal(SHA256.HashData(whole), await SHA256.HashDataAsync(staged));

        await upload.PublishAsync("blobs/target", None);
        Assert.Equal(whole.Length, (await Storage.StatAsync("blobs/target", None))!.Size);
        Assert.Equal(SHA256.HashData(whole), SHA256.HashData((await GetAsync("blobs/target"))!));
        // The staging area went with the publish.
        Assert.Empty((await Storage.ListAsync(StorageLayout.UploadDirectory(id), null, 100, None)).Objects);
    }

    [Fact]
    public async Task An_upload_resumes_from_its_state_on_another_instance()
    {
        var id = Guid.NewGuid();
        string state;
        await using (var upload = await Storage.StartUploadAsync(id, None))
        {
            await upload.AppendAsync(new MemoryStream("first-"u8.ToArray()), None);
            state = upload.State;
        }

        var other = await ReopenAsync();
        await using (var resumed = await other.ResumeUploadAsync(state, None))
        {
            Assert.Equal(new { Id = id, Size = 6L }, new { resumed.Id, resumed.Size });
            await resumed.AppendAsync(new MemoryStream("second"u8.ToArray()), None);
            state = resumed.State;
        }
        await using (var again = await Storage.ResumeUploadAsync(state, None))
        {
            Assert.Equal(12, again.Size);
            await again.PublishAsync("resumed", None);
        }
        Same("first-second"u8.ToArray(), await GetAsync("resumed"));
    }

    [Fact]
    public async Task A_failed_part_leaves_nothing_that_counts()
    {
        await using var upload = await Storage.StartUploadAsync(Guid.NewGuid(), None);
        await upload.AppendAsync(new MemoryStream("keep"u8.ToArray()), None);
        var before = upload.State;

        await Assert.ThrowsAsync<IOException>(() => upload.AppendAsync(new FailingStream(new MemoryStream(Pattern(2 << 20)), failAfter: 1 << 20), None));
        Assert.Equal(4, upload.Size);
        Assert.Equal(before, upload.State);

        // The state from before the failure is as good as the live object: resume it, append, publish.
        await using var resumed = await Storage.ResumeUploadAsync(before, None);
        await resumed.AppendAsync(new MemoryStream("-this"u8.ToArray()), None);
        await resumed.PublishAsync("after-failure", None);
        Same("keep-this"u8.ToArray(), await GetAsync("after-failure"));
    }

    [Fact]
    public async Task An_aborted_upload_is_gone_and_cannot_be_resumed()
    {
        var id = Guid.NewGuid();
        await using var upload = await Storage.StartUploadAsync(id, None);
        await upload.AppendAsync(new MemoryStream(Pattern(5000)), None);
        var state = upload.State;
        await upload.AbortAsync(None);
        await upload.AbortAsync(None); // idempotent
        Assert.Empty((await Storage.ListAsync(StorageLayout.UploadDirectory(id), null, 100, None)).Objects);
        await Assert.ThrowsAsync<StorageUploadLostException>(() => Storage.ResumeUploadAsync(state, None));
    }

    [Fact]
    public async Task A_state_of_another_driver_or_no_state_is_refused()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => Storage.ResumeUploadAsync("not json", None));
        await Assert.ThrowsAsync<InvalidDataException>(() => Storage.ResumeUploadAsync($$"""{"driver":"elsewhere","id":"{{Guid.NewGuid()}}","size":0,"parts":[]}""", None));
    }

    [Fact]
    public async Task Concurrent_readers_each_get_the_whole_object()
    {
        var content = Pattern(3 << 20, 9);
        await PutAsync("shared", content);
        var hashes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var read = (await Storage.ReadAsync("shared", i * 1000, null, None))!;
            var hash = await SHA256.HashDataAsync(read.Content);
            return (i, hash);
        }));
        foreach (var (i, hash) in hashes) Assert.Equal(SHA256.HashData(content.AsSpan(i * 1000)), hash);
    }

    [Fact]
    public async Task Listing_is_flat_ordered_and_pages_through_everything()
    {
        var keys = Enumerable.Range(0, 23).Select(i => $"list/{(char)('a' + i % 5)}/{i:D3}/data").ToList();
        foreach (var key in keys) await PutAsync(key, Encoding.UTF8.GetBytes(key));
        await PutAsync("list-sibling", "x"u8.ToArray());
        await PutAsync("other/thing", "x"u8.ToArray());

        var seen = new List<StorageObject>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Storage.ListAsync("list/", token, 5, None);
            Assert.True(page.Objects.Count <= 5);
            seen.AddRange(page.Objects);
            token = page.ContinuationToken;
            pages++;
        } while (token is not null && pages < 100);

        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), seen.Select(o => o.Key));
        Assert.All(seen, o => Assert.Equal(o.Key.Length, o.Size));
        Assert.True(pages >= 5);
        // A prefix that ends in the middle of a name.
        Assert.Equal(keys.Where(k => k.StartsWith("list/c/", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            (await Storage.ListAllAsync("list/c", None).ToListAsync()).Select(o => o.Key).Where(k => k.StartsWith("list/c/", StringComparison.Ordinal)));
        Assert.Equal(["list-sibling"], (await Storage.ListAllAsync("list-", None).ToListAsync()).Select(o => o.Key));
        Assert.Empty(await Storage.ListAllAsync("nothing/here/", None).ToListAsync());
    }

    [Fact]
    public async Task Deletes_remove_objects_one_or_many_at_a_time()
    {
        var keys = Enumerable.Range(0, 12).Select(i => $"del/{i:D2}/data").ToList();
        foreach (var key in keys) await PutAsync(key, [1, 2, 3]);
        await Storage.DeleteAsync(keys[0], None);
        Assert.Null(await Storage.StatAsync(keys[0], None));
        await Storage.DeleteManyAsync([.. keys.Skip(1).Take(8), "del/missing/data"], None);
        Assert.Equal(keys.Skip(9), (await Storage.ListAllAsync("del/", None).ToListAsync()).Select(o => o.Key));
        await Storage.DeletePrefixAsync("del/", None);
        Assert.Empty(await Storage.ListAllAsync("del/", None).ToListAsync());
    }

    [Fact]
    public async Task A_signed_url_serves_the_object_to_a_plain_client_where_the_store_signs()
    {
        await PutAsync("signed/data", "signed content"u8.ToArray());
        var url = await Storage.GetSignedReadUrlAsync("signed/data", TimeSpan.FromMinutes(5), None);
        if (!SignsUrls)
        {
            Assert.Null(url);
            return;
        }
        Assert.NotNull(url);
        using var http = new HttpClient();
        Assert.Equal("signed content"u8.ToArray(), await http.GetByteArrayAsync(url));
        using var tampered = await http.GetAsync(new Uri(url.ToString().Replace("signed/data", "signed/other")));
        Assert.False(tampered.IsSuccessStatusCode);
    }

    [Fact]
    public async Task The_probe_answers() => await Storage.ProbeAsync(None);
}
