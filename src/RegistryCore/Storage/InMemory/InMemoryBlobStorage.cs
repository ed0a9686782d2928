using System.Collections.Concurrent;

namespace Wharf.Registry.Storage.InMemory;

/// <summary>
/// Objects in a dictionary, for fast tests of the engine. Not offered as a configured back end: the metadata
/// database outlives the process, these bytes do not.
/// </summary>
public sealed class InMemoryBlobStorage(TimeProvider? clock = null) : IBlobStorage
{
    private readonly ConcurrentDictionary<string, (byte[] Bytes, DateTimeOffset Modified)> _objects = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public string Name => "inmemory";

    public Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(_objects.TryGetValue(key, out var o) ? new StorageObject(key, o.Bytes.Length, o.Modified) : null);

    public Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!_objects.TryGetValue(key, out var o)) return Task.FromResult<StorageRead?>(null);
        var start = (int)Math.Min(offset, o.Bytes.Length);
        var count = (int)Math.Min(length ?? long.MaxValue, o.Bytes.Length - start);
        return Task.FromResult<StorageRead?>(new StorageRead(new MemoryStream(o.Bytes, start, count, writable: false), o.Bytes.Length, start, count));
    }

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        _objects[key] = (buffer.ToArray(), _clock.GetUtcNow());
        return buffer.Length;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys) _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var page = _objects
            .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal) && (continuationToken is null || string.CompareOrdinal(o.Key, continuationToken) > 0))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .Take(pageSize)
            .Select(o => new StorageObject(o.Key, o.Value.Bytes.Length, o.Value.Modified))
            .ToList();
        return Task.FromResult(new StoragePage(page, page.Count == pageSize ? page[^1].Key : null));
    }

    public Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);

    public Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken) =>
        Task.FromResult(Objects.PartsUpload.Start(this, uploadId));

    public Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken) =>
        Objects.PartsUpload.ResumeAsync(this, state, cancellationToken);

    /// <summary>Every write here is one step (a dictionary entry; a scratch file renamed into place): nothing is left half-started.</summary>
    public Task PurgeInterruptedWritesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ProbeAsync(CancellationToken cancellationToken) => StorageProbe.WriteAndDeleteAsync(this, cancellationToken);
}
