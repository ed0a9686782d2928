namespace Wharf.Registry.Events;

public enum RegistryEventKind
{
    ManifestPushed,
    ManifestPulled,
    ManifestDeleted,
    TagDeleted,
    BlobUploaded,
    BlobMounted,
    BlobDeleted,
    RepositoryImported,
    /// <summary>A garbage collection dry run stored its report (Size: bytes reclaimable; Detail: the run's summary).</summary>
    GarbageCollectionPreviewed,
    /// <summary>A garbage collection deleted what was eligible (Size: bytes freed; Detail: the run's summary).</summary>
    GarbageCollected,
    GarbageCollectionCancelled,
    GarbageCollectionFailed,
    /// <summary>A pull through the cache was served from it (a manifest still current upstream, or a cached blob).</summary>
    CacheHit,
    /// <summary>A pull through the cache needed the upstream (the content was fetched and cached).</summary>
    CacheMiss,
    /// <summary>A blob imported without verification did not match its digest on its first read (it was not served).</summary>
    BlobVerificationFailed,
}

/// <summary>Something that happened in the registry, raised for the audit trail, metrics and webhooks.</summary>
public sealed record RegistryEvent(RegistryEventKind Kind, string Repository, RegistryCaller Caller)
{
    public string? Digest { get; init; }
    public string? Tag { get; init; }
    public string? MediaType { get; init; }
    public long? Size { get; init; }
    /// <summary>A one-line summary for events that are not about one digest (garbage collection runs).</summary>
    public string? Detail { get; init; }
    public DateTime Timestamp { get; init; } = DateTime.UtcNow;
}

/// <summary>
/// Receives engine events. The host wires it to the audit log, metrics and webhooks; the engine never knows which.
/// Implementations must be fast and must not throw: a push is never failed by its audit record.
/// </summary>
public interface IRegistryEventSink
{
    void Publish(RegistryEvent registryEvent);
}
