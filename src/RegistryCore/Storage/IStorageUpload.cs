namespace Wharf.Registry.Storage;

/// <summary>
/// An upload in progress: parts appended in order to a private staging area, then published whole under one key.
/// The engine keeps <see cref="State"/> (a short, opaque string) in the upload session row after every append, so
/// any instance can continue with <see cref="IBlobStorage.ResumeUploadAsync"/>.
/// <para>
/// What a failed part leaves: nothing that counts. When <see cref="AppendAsync"/> throws, <see cref="Size"/> and
/// <see cref="State"/> are what they were before the call, and the next append (with the same state) overwrites
/// or ignores whatever the failed one staged. Rolling back a chunk therefore needs no truncation: keep the previous
/// state. Staged bytes that no state refers to are removed by <see cref="AbortAsync"/> or by upload purging.
/// </para>
/// Not safe for concurrent use: the engine serializes the requests of one upload session.
/// </summary>
public interface IStorageUpload : IAsyncDisposable
{
    /// <summary>The upload's id, as given to <see cref="IBlobStorage.StartUploadAsync"/>.</summary>
    Guid Id { get; }

    /// <summary>Bytes appended so far by successful appends.</summary>
    long Size { get; }

    /// <summary>
    /// Everything needed to continue the upload elsewhere (file offset; staged part keys and sizes), serialized.
    /// Changes on every successful append; persist it before acknowledging the chunk to the client.
    /// </summary>
    string State { get; }

    /// <summary>
    /// Appends all of <paramref name="content"/> as the next part. Parts may have any size, including zero. A part
    /// need not be durable yet when this returns (the filesystem leaves it to the page cache; object stores store
    /// each part durably): <see cref="PublishAsync"/> makes the whole upload durable, and
    /// <see cref="StagedBytesIntact"/> tells whether a crash since may have lost some of it.
    /// </summary>
    /// <returns>The number of bytes appended.</returns>
    Task<long> AppendAsync(Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the staged bytes are certainly the ones appended, so that a content hash computed while they were
    /// appended may stand for them. False when a crash may have lost appended bytes the store had not made durable
    /// (a filesystem upload written since its last flush by another boot of this machine, or by another machine):
    /// the engine then hashes the bytes read back with <see cref="OpenReadAsync"/>, and a loss shows as a wrong digest.
    /// </summary>
    bool StagedBytesIntact { get; }

    /// <summary>
    /// Reads the bytes appended so far, in order (to rebuild a content hash that was lost with a restart). On object
    /// stores this reads every staged part back: use it only when the hash is not at hand.
    /// </summary>
    Task<Stream> OpenReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes the whole upload under <paramref name="key"/> in one atomic step (readers see no object, or all of
    /// it; on the filesystem: fsync, then rename), then removes the staging area. The caller verifies the content
    /// (digest and length) before publishing. After a failure, the upload can be published again or aborted; the key
    /// is as it was. After success, the upload is finished and its state must not be resumed.
    /// </summary>
    Task PublishAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes everything the upload staged. Idempotent; the upload is finished afterwards.</summary>
    Task AbortAsync(CancellationToken cancellationToken);
}

/// <summary>The staged bytes of an upload are gone (purged, or the store was replaced): it cannot continue.</summary>
public sealed class StorageUploadLostException(string message) : Exception(message);
