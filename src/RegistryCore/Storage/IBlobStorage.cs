namespace Wharf.Registry.Storage;

/// <summary>
/// The store every storage back end implements: a flat namespace of immutable objects (a local directory, an S3
/// bucket, an Azure container). Keys are relative, '/'-separated and built only by <see cref="StorageLayout"/>; a
/// driver puts them under its own root (rootdirectory). Nothing in the engine reaches the bytes any other way.
/// <para>
/// Every write is all or nothing: <see cref="PutAsync"/> and <see cref="IStorageUpload.PublishAsync"/> make an
/// object appear whole, or leave the key as it was. There is no append to, rename of, or truncation of a stored
/// object, so the same contract holds on object stores that have none of those.
/// </para>
/// </summary>
public interface IBlobStorage
{
    /// <summary>A short name for logs, health checks and upload states ("filesystem", "s3", "azure", "inmemory").</summary>
    string Name { get; }

    /// <summary>The object's size and modification time, or null when there is no object under the key.</summary>
    Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens <paramref name="length"/> bytes (to the end when null) from <paramref name="offset"/> of an object.
    /// Null when the object does not exist. An offset past the end reads nothing (an empty read).
    /// The returned read owns an open stream: dispose it. A read that began keeps seeing the object it opened,
    /// even when the object is deleted or replaced meanwhile (the filesystem keeps the open file; object stores
    /// serve the GET they started).
    /// </summary>
    Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the whole of <paramref name="content"/> under <paramref name="key"/>, replacing any object there, in one
    /// atomic step: readers see the old object or the whole new one. When reading <paramref name="content"/> throws
    /// (the client went away, or a verifying stream found the wrong digest at its end), nothing is published and
    /// the exception propagates. Streams of any length; memory use is bounded by the driver's part size.
    /// </summary>
    /// <returns>The number of bytes stored.</returns>
    Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>Removes an object. A missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Removes many objects in as few calls as the store allows (S3 DeleteObjects, Azure batch). Missing objects are
    /// not an error; when some deletes fail, the others still happen and an exception lists the keys that failed.
    /// </summary>
    Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the objects whose keys start with <paramref name="prefix"/>, at any depth, in ordinal key order.
    /// Pass the returned <see cref="StoragePage.ContinuationToken"/> to get the next page; null means the listing
    /// is complete. Tokens are opaque and stay valid while objects are added or removed (a listing that runs
    /// alongside writes sees every object that existed throughout it).
    /// </summary>
    Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken);

    /// <summary>
    /// A URL a client can GET the object from directly, valid for <paramref name="lifetime"/>, or null when the store
    /// cannot sign URLs (the filesystem, the in-memory store): then Wharf streams the bytes itself.
    /// </summary>
    Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>
    /// Starts an upload: a private staging area, invisible under any blob key, that collects parts in order until it
    /// is published whole. <paramref name="uploadId"/> names the staging area (under <see cref="StorageLayout.UploadDirectory"/>)
    /// so that abandoned uploads can be found and purged.
    /// </summary>
    Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken);

    /// <summary>
    /// Continues an upload from its <see cref="IStorageUpload.State"/>, on this instance or another one, before or
    /// after a restart. Throws <see cref="InvalidDataException"/> when the state was written by another kind of
    /// driver or is not a state at all, and <see cref="StorageUploadLostException"/> when its staged bytes are gone
    /// (purged, or the store was wiped).
    /// </summary>
    Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what writes interrupted by a crash left in the store, for those started before <paramref name="startedBefore"/>:
    /// S3 multipart uploads are aborted and Azure's uncommitted blocks discarded, found through the records the driver
    /// keeps under <see cref="StorageLayout.PendingWritesRoot"/> (not by ListMultipartUploads, which S3-compatible
    /// servers do not all have). A write still running past that age fails rather than publishing anything partial.
    /// The filesystem has nothing to do here (its scratch files are purged with the uploads).
    /// </summary>
    Task PurgeInterruptedWritesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken);

    /// <summary>
    /// A cheap check that the store takes writes (one small object put and deleted: a read-only or full volume, a
    /// missing bucket or wrong credentials fail here), for readiness probes (distribution's <c>health.storagedriver</c>).
    /// Throws <see cref="IOException"/> (or <see cref="UnauthorizedAccessException"/>) with the store's own message.
    /// </summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
