using System.Text.Json;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Wharf.Registry.Storage;
using Wharf.Registry.Storage.Azure;
using Wharf.Registry.Storage.Objects;
using Wharf.Registry.Storage.S3;
using Wharf.Tests.Unit.Storage.Emulators;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

/// <summary>
/// A whole-object put that stops half-way (its process died: here, its stream stalls and is never finished) leaves
/// staged bytes in the store that no listing of objects shows: an S3 multipart upload, Azure uncommitted blocks.
/// The driver's record of the write lets the purge find and drop them without ListMultipartUploads (which s3rver
/// does not have).
/// </summary>
public abstract class InterruptedWriteTests
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<IBlobStorage> CreateAsync();

    protected abstract int ChunkSize { get; }

    /// <summary>A put of three and a bit chunks, stalled after two: its record is written and bytes are staged.</summary>
    protected async Task<(IBlobStorage Storage, StallingStream Stalled, Task<long> Put, PendingWrite Write, byte[] Content)> StartStalledPutAsync()
    {
        var storage = await CreateAsync();
        var content = new byte[ChunkSize * 3 + 17];
        new Random(7).NextBytes(content);
        var stalled = new StallingStream(new MemoryStream(content), stallAfter: ChunkSize * 2 + 1);
        var put = storage.PutAsync("blobs/interrupted", stalled, None);
        await stalled.Stalled;
        var write = await WaitForRecordAsync(storage);
        Assert.Equal("blobs/interrupted", write.Key);
        return (storage, stalled, put, write, content);
    }

    [Fact]
    public async Task A_put_that_finishes_or_fails_leaves_no_record()
    {
        var storage = await CreateAsync();
        var content = new byte[ChunkSize * 2 + 5];
        await storage.PutAsync("blobs/done", new NonSeekableStream(new MemoryStream(content)), None);
        await Assert.ThrowsAsync<IOException>(() => storage.PutAsync("blobs/failed", new FailingStream(new MemoryStream(content), ChunkSize + 3), None));
        Assert.Empty(await ListRecordsAsync(storage));
        Assert.Null(await storage.StatAsync("blobs/failed", None));
    }

    protected static async Task<List<StorageObject>> ListRecordsAsync(IBlobStorage storage)
    {
        var records = new List<StorageObject>();
        await foreach (var item in storage.ListAllAsync(StorageLayout.PendingWritesRoot + "/", None)) records.Add(item);
        return records;
    }

    private static async Task<PendingWrite> WaitForRecordAsync(IBlobStorage storage)
    {
        PendingWrite? write = null;
        await WaitUntilAsync(async () =>
        {
            var records = await ListRecordsAsync(storage);
            if (records.Count != 1) return false;
            await using var read = (await storage.ReadAsync(records[0].Key, 0, null, None))!;
            write = await JsonSerializer.DeserializeAsync<PendingWrite>(read.Content, new JsonSerializerOptions(JsonSerializerDefaults.Web));
            return write is not null && (write.UploadId is not null || storage.Name != "s3");
        });
        return write!;
    }

    /// <summary>Waits for a condition of the store that another task brings about (bounded, so a hang fails).</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested) throw new TimeoutException("the store did not reach the expected state");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}

public sealed class S3InterruptedWriteTests : InterruptedWriteTests
{
    private S3StorageOptions _options = null!;

    protected override int ChunkSize => (int)S3StorageOptions.MinimumChunkSize;

    protected override async Task<IBlobStorage> CreateAsync()
    {
        _options = await LocalS3.OptionsAsync();
        return new S3BlobStorage(_options);
    }

    /// <summary>
    /// s3rver implements neither AbortMultipartUpload nor ListParts, so what can be shown here is that the purge finds
    /// the interrupted upload by its record, asks the server to abort exactly that upload, and reports the refusal
    /// once instead of dropping it silently; on S3 itself (and MinIO, Ceph) the abort removes the parts.
    /// </summary>
    [Fact]
    public async Task Purging_finds_an_interrupted_multipart_upload_and_asks_the_server_to_abort_it()
    {
        var (storage, stalled, put, write, _) = await StartStalledPutAsync();
        Assert.NotNull(write.UploadId);

        await storage.PurgeInterruptedWritesAsync(DateTimeOffset.UtcNow - TimeSpan.FromHours(1), None);
        Assert.Single(await ListRecordsAsync(storage)); // not yet due

        var refused = await Assert.ThrowsAsync<IOException>(() => storage.PurgeInterruptedWritesAsync(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), None));
        Assert.Contains("does not implement AbortMultipartUpload", refused.Message);
        Assert.Contains($"blobs/interrupted (upload {write.UploadId})", refused.Message);
        Assert.Empty(await ListRecordsAsync(storage));
        // Reported once: the next purge has nothing left to say.
        await storage.PurgeInterruptedWritesAsync(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), None);

        stalled.Resume();
        await put;
    }
}

public sealed class AzureInterruptedWriteTests : InterruptedWriteTests
{
    private AzureStorageOptions _options = null!;

    protected override int ChunkSize => 1 << 20;

    protected override async Task<IBlobStorage> CreateAsync()
    {
        _options = await LocalAzure.OptionsAsync();
        return new AzureBlobStorage(_options);
    }

    [Fact]
    public async Task Purging_drops_the_staged_blocks_of_an_interrupted_put_and_it_publishes_nothing()
    {
        var (storage, stalled, put, write, content) = await StartStalledPutAsync();
        await WaitUntilAsync(() => HasUncommittedBlocksAsync(write));

        // Not yet due: a write younger than the cutoff is left alone.
        await storage.PurgeInterruptedWritesAsync(DateTimeOffset.UtcNow - TimeSpan.FromHours(1), None);
        Assert.True(await HasUncommittedBlocksAsync(write));

        await storage.PurgeInterruptedWritesAsync(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), None);
        Assert.False(await HasUncommittedBlocksAsync(write));
        Assert.Empty(await ListRecordsAsync(storage));

        // The stalled put, if its process were still alive, cannot publish what it staged.
        stalled.Resume();
        await Assert.ThrowsAnyAsync<Exception>(() => put);
        Assert.Null(await storage.StatAsync("blobs/interrupted", None));
        // And the key takes a clean put afterwards.
        Assert.Equal(content.Length, await storage.PutAsync("blobs/interrupted", new NonSeekableStream(new MemoryStream(content)), None));
        Assert.Equal(content.Length, (await storage.StatAsync("blobs/interrupted", None))!.Size);
        Assert.Empty(await ListRecordsAsync(storage));
    }

    private async Task<bool> HasUncommittedBlocksAsync(PendingWrite write)
    {
        var blob = new BlobServiceClient(_options.ServiceUri, new StorageSharedKeyCredential(_options.AccountName, _options.AccountKey))
            .GetBlobContainerClient(_options.Container).GetBlockBlobClient(_options.RootDirectory.Trim('/') + "/" + write.Key);
        try
        {
            return (await blob.GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks.Any();
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }
}

/// <summary>Reads through until <c>stallAfter</c> bytes, then waits until <see cref="Resume"/> (a writer that stopped).</summary>
public sealed class StallingStream(Stream inner, long stallAfter) : Stream
{
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _read;

    public Task Stalled => _stalled.Task;

    public void Resume() => _resumed.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_read >= stallAfter)
        {
            _stalled.TrySetResult();
            await _resumed.Task.WaitAsync(cancellationToken);
        }
        var limit = _read < stallAfter ? (int)Math.Min(buffer.Length, stallAfter - _read) : buffer.Length;
        var read = await inner.ReadAsync(buffer[..limit], cancellationToken);
        _read += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
