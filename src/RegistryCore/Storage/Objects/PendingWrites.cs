using System.Text;
using System.Text.Json;

namespace Wharf.Registry.Storage.Objects;

/// <summary>
/// What a multi-request write was doing: the key it publishes and, on S3, the multipart upload's id (null until the
/// store has answered the initiation).
/// </summary>
public sealed record PendingWrite(string Key, string? UploadId);

/// <summary>
/// The records of writes in progress, kept as small objects under <see cref="StorageLayout.PendingWritesRoot"/> in
/// the store itself. A driver records a write before its first request and removes the record once the object is
/// published or the write aborted, so a write that a crash interrupted is still findable: S3's ListMultipartUploads
/// is not on every S3-compatible server, and Azure has no listing of uncommitted blocks across blobs.
/// Kept in the store rather than the metadata database because the drivers are below the engine and a store can be
/// shared by tools that do not open the database (garbage-collect, import).
/// </summary>
internal static class PendingWrites
{
    public static async Task<string> RecordAsync(IBlobStorage storage, Guid id, PendingWrite write, CancellationToken cancellationToken)
    {
        var key = StorageLayout.PendingWrite(id);
        var json = JsonSerializer.SerializeToUtf8Bytes(write, StorageStateJson.Default.PendingWrite);
        await storage.PutAsync(key, new MemoryStream(json, writable: false), cancellationToken);
        return key;
    }

    /// <summary>Forgets a write that finished; a crash before this leaves the record to the purge, which is harmless.</summary>
    public static async Task ForgetAsync(IBlobStorage storage, string recordKey)
    {
        try
        {
            await storage.DeleteAsync(recordKey, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or global::Amazon.Runtime.AmazonServiceException or global::Azure.RequestFailedException)
        {
            // The object is published (or aborted) already; a record left behind is only work for the next purge.
        }
    }

    /// <summary>
    /// Every record older than <paramref name="startedBefore"/>, handed to <paramref name="abort"/> (which must be
    /// idempotent: the write may have finished meanwhile), then removed. Unreadable records are removed too.
    /// </summary>
    public static async Task PurgeAsync(IBlobStorage storage, DateTimeOffset startedBefore, Func<PendingWrite, Task> abort, CancellationToken cancellationToken)
    {
        var stale = new List<string>();
        await foreach (var item in storage.ListAllAsync(StorageLayout.PendingWritesRoot + "/", cancellationToken))
            if (item.Modified < startedBefore) stale.Add(item.Key);
        foreach (var recordKey in stale)
        {
            var write = await ReadAsync(storage, recordKey, cancellationToken);
            if (write is not null) await abort(write);
            await storage.DeleteAsync(recordKey, cancellationToken);
        }
    }

    private static async Task<PendingWrite?> ReadAsync(IBlobStorage storage, string recordKey, CancellationToken cancellationToken)
    {
        var read = await storage.ReadAsync(recordKey, 0, null, cancellationToken);
        if (read is null) return null;
        await using var _ = read;
        using var buffer = new MemoryStream();
        await read.Content.CopyToAsync(buffer, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize(buffer.ToArray(), StorageStateJson.Default.PendingWrite);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
