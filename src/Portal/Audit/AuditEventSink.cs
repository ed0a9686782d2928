using Wharf.Portal.Data;
using Wharf.Registry.Events;

namespace Wharf.Portal.Audit;

/// <summary>
/// Wires the engine's events to the audit trail (changes only: pulls and blob transfers would drown it) and to the
/// engine's own log and metrics.
/// </summary>
public sealed class AuditEventSink(AuditLog audit, LoggingEventSink logging) : IRegistryEventSink
{
    public void Publish(RegistryEvent e)
    {
        logging.Publish(e);
        var action = e.Kind switch
        {
            RegistryEventKind.ManifestPushed => "manifest.push",
            RegistryEventKind.ManifestDeleted => "manifest.delete",
            RegistryEventKind.TagDeleted => "tag.delete",
            RegistryEventKind.BlobDeleted => "blob.delete",
            RegistryEventKind.RepositoryImported => "repository.import",
            RegistryEventKind.GarbageCollectionPreviewed => "gc.preview",
            RegistryEventKind.GarbageCollected => "gc.collect",
            RegistryEventKind.GarbageCollectionCancelled => "gc.cancel",
            RegistryEventKind.GarbageCollectionFailed => "gc.fail",
            RegistryEventKind.BlobVerificationFailed => "blob.verify",
            _ => null,
        };
        if (action is null) return;
        audit.Record(new AuditEntry
        {
            Timestamp = e.Timestamp,
            Actor = e.Caller.User ?? "anonymous",
            ClientAddress = e.Caller.Address,
            Action = action,
            Repository = e.Repository,
            Target = e.Tag is null ? e.Digest : e.Digest is null ? e.Tag : $"{e.Tag} ({e.Digest})",
            Outcome = e.Kind is RegistryEventKind.GarbageCollectionFailed or RegistryEventKind.GarbageCollectionCancelled or RegistryEventKind.BlobVerificationFailed
                ? AuditOutcome.Failure : AuditOutcome.Success,
            Detail = e.Detail,
        });
    }
}
