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
}

/// <summary>Something that happened in the registry, raised for the audit trail, metrics and webhooks.</summary>
public sealed record RegistryEvent(RegistryEventKind Kind, string Repository, RegistryCaller Caller)
{
    public string? Digest { get; init; }
    public string? Tag { get; init; }
    public string? MediaType { get; init; }
    public long? Size { get; init; }
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
