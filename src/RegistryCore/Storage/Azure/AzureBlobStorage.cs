using System.Buffers;
using System.Net;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace Wharf.Registry.Storage.Azure;

/// <summary>
/// Objects as block blobs in an Azure container under <c>rootdirectory</c>, with distribution's keys. A put stages
/// blocks and commits the block list only after the last byte was read: the blob appears whole or not at all
/// (the blocks of a failed put are dropped at once, those of a put a crash interrupted by upload purging).
/// </summary>
public sealed class AzureBlobStorage : IBlobStorage
{
    private readonly BlobContainerClient _container;
    private readonly AzureStorageOptions _options;
    private readonly string _root;
    private readonly Lazy<Task> _created;

    public AzureBlobStorage(AzureStorageOptions options)
    {
        _options = options;
        _root = options.RootDirectory.Trim('/') is { Length: > 0 } root ? root + "/" : "";
        var service = new BlobServiceClient(options.ServiceUri, new StorageSharedKeyCredential(options.AccountName, options.AccountKey));
        _container = service.GetBlobContainerClient(options.Container);
        // distribution creates the container when it is missing; so does Wharf, once, on first use.
        _created = new Lazy<Task>(() => _container.CreateIfNotExistsAsync());
    }

    public string Name => "azure";

    private async Task<BlockBlobClient> BlobAsync(string key)
    {
        await _created.Value;
        return _container.GetBlockBlobClient(_root + key);
    }

    public async Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(key);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new StorageObject(key, properties.ContentLength, properties.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var blob = await BlobAsync(key);
        long size;
        if (offset > 0 || length is not null)
        {
            var stat = await StatAsync(key, cancellationToken);
            if (stat is null) return null;
            size = stat.Size;
            var start = Math.Min(offset, size);
            var count = Math.Min(length ?? long.MaxValue, size - start);
            if (count == 0) return new StorageRead(Stream.Null, size, start, 0);
            var ranged = await DownloadAsync(blob, new HttpRange(start, count), cancellationToken);
            return ranged is null ? null : new StorageRead(ranged.Content, size, start, count);
        }
        var whole = await DownloadAsync(blob, default, cancellationToken);
        if (whole is null) return null;
        size = whole.Details.ContentLength;
        return new StorageRead(whole.Content, size, 0, size);
    }

    private static async Task<BlobDownloadStreamingResult?> DownloadAsync(BlockBlobClient blob, HttpRange range, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = range }, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(key);
        var buffer = ArrayPool<byte>.Shared.Rent(_options.ChunkSize);
        try
        {
            var filled = await StreamFill.FillAsync(content, buffer, _options.ChunkSize, cancellationToken);
            if (filled < _options.ChunkSize)
            {
                // Fits in one block: one Put Blob, which stages nothing (the stream has ended, so it was read whole).
                await blob.UploadAsync(new MemoryStream(buffer, 0, filled, writable: false), UploadOptions, cancellationToken);
                return filled;
            }
            return await StagedPutAsync(key, blob, new PrefixedReadStream(buffer.AsMemory(0, filled), content), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private BlobUploadOptions UploadOptions => new()
    {
        TransferOptions = new StorageTransferOptions
        {
            InitialTransferSize = _options.ChunkSize,
            MaximumTransferSize = _options.ChunkSize,
            MaximumConcurrency = 4,
        },
    };

    private async Task<long> StagedPutAsync(string key, BlockBlobClient blob, Stream content, CancellationToken cancellationToken)
    {
        // Recorded while it runs, so that upload purging can drop the blocks of a put a crash interrupted (Azure has
        // no listing of uncommitted blocks across blobs); see PendingWrites.
        var record = await Objects.PendingWrites.RecordAsync(this, Guid.NewGuid(), new Objects.PendingWrite(key, null), cancellationToken);
        var counting = new CountingReadStream(content);
        try
        {
            // The SDK stages blocks of ChunkSize and commits the list after the stream ended without an error.
            await blob.UploadAsync(counting, UploadOptions, cancellationToken);
        }
        catch
        {
            try
            {
                await DiscardUncommittedBlocksAsync(blob);
                await Objects.PendingWrites.ForgetAsync(this, record);
            }
            catch (RequestFailedException)
            {
                // Left to the purge (or to Azure, which drops uncommitted blocks after a week).
            }
            throw;
        }
        await Objects.PendingWrites.ForgetAsync(this, record);
        return counting.BytesRead;
    }

    /// <summary>
    /// Drops the uncommitted blocks staged for a key. Azure discards them when a block list is committed or the blob
    /// deleted, so where the key holds no blob, an empty one is committed (only while there is still none) and that
    /// very blob deleted; where a blob is committed already (the same content: keys are digests), its blocks are
    /// left to Azure's own weekly collection rather than rewriting a published blob. A put to the same key running
    /// at this moment loses its blocks and fails (it publishes nothing); purging only reaches puts older than the
    /// purge age.
    /// </summary>
    private static async Task DiscardUncommittedBlocksAsync(BlockBlobClient blob)
    {
        try
        {
            var blocks = (await blob.GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: CancellationToken.None)).Value;
            if (!blocks.UncommittedBlocks.Any()) return;
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return;
        }
        try
        {
            var empty = await blob.CommitBlockListAsync([], new CommitBlockListOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, CancellationToken.None);
            await blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = empty.Value.ETag }, cancellationToken: CancellationToken.None);
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            // A blob is committed under the key.
        }
    }

    public async Task PurgeInterruptedWritesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await _created.Value;
        await Objects.PendingWrites.PurgeAsync(this, startedBefore, async write => await DiscardUncommittedBlocksAsync(await BlobAsync(write.Key)), cancellationToken);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await (await BlobAsync(key)).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    public async Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        // Parallel deletes rather than a blob batch: batches need another package and are not in the local emulator
        // for every version; sixteen requests in flight clear a GC sweep's page of a thousand quickly.
        var failed = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (key, token) =>
        {
            try
            {
                await (await BlobAsync(key)).DeleteIfExistsAsync(cancellationToken: token);
            }
            catch (RequestFailedException e)
            {
                failed.Add($"{key} ({e.ErrorCode})");
            }
        });
        if (!failed.IsEmpty) throw new IOException($"could not delete {failed.Count} objects: {string.Join(", ", failed.Take(10))}");
    }

    public async Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        await _created.Value;
        await foreach (var page in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _root + prefix }, cancellationToken)
                           .AsPages(continuationToken, Math.Min(pageSize, 5000)))
        {
            var objects = page.Values
                .Select(b => new StorageObject(b.Name[_root.Length..], b.Properties.ContentLength ?? 0, b.Properties.LastModified ?? DateTimeOffset.UtcNow))
                .ToList();
            return new StoragePage(objects, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }
        return new StoragePage([], null);
    }

    public async Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(key);
        return blob.CanGenerateSasUri ? blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.Add(lifetime)) : null;
    }

    public Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken) =>
        Task.FromResult(Objects.PartsUpload.Start(this, uploadId));

    public Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken) =>
        Objects.PartsUpload.ResumeAsync(this, state, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => StorageProbe.WriteAndDeleteAsync(this, cancellationToken);
}
