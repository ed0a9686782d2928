using Wharf.Registry.Metadata;

namespace Wharf.Registry.Events;

/// <summary>
/// The durable copy of an event, written in the same transaction as the change it reports (the outbox pattern): it
/// exists if and only if the change committed, so a crash between the two can neither lose the event nor report a
/// change that did not happen. <see cref="BlobLedger"/> is the one caller.
/// </summary>
public interface IEventOutbox
{
    /// <summary>Adds the event's rows to <paramref name="db"/> without saving them; null when nothing wants the event.</summary>
    StagedEvent? Stage(RegistryDbContext db, RegistryEvent registryEvent);
}

/// <summary>Rows an outbox added for one event, and what to do once they are committed (wake the deliverer).</summary>
public sealed record StagedEvent(IReadOnlyList<object> Rows, Action Committed);
