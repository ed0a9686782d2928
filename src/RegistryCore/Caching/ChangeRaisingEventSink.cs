using Wharf.Registry.Events;

namespace Wharf.Registry.Caching;

/// <summary>
/// Wraps the host's <see cref="IRegistryEventSink"/>: passes every event on, and turns the ones that move a tag or
/// remove something into <see cref="IRegistryChangeListener"/> calls. The engine raises these events after the
/// write committed, from every path that changes a repository (the API, the portal, garbage collection), so the
/// caches need no hook of their own in those paths.
/// </summary>
public sealed class ChangeRaisingEventSink(IRegistryEventSink inner, IEnumerable<IRegistryChangeListener> listeners) : IRegistryEventSink
{
    private readonly IRegistryChangeListener[] _listeners = listeners.ToArray();

    public void Publish(RegistryEvent registryEvent)
    {
        switch (registryEvent.Kind)
        {
            // A push may move a tag; deletes remove manifests, tags and blob links.
            case RegistryEventKind.ManifestPushed or RegistryEventKind.ManifestDeleted or RegistryEventKind.TagDeleted or RegistryEventKind.BlobDeleted:
                foreach (var listener in _listeners) listener.RepositoryChanged(registryEvent.Repository);
                break;
            case RegistryEventKind.GarbageCollected or RegistryEventKind.GarbageCollectionCancelled or RegistryEventKind.GarbageCollectionFailed:
                foreach (var listener in _listeners) listener.EverythingChanged();
                break;
        }
        inner.Publish(registryEvent);
    }
}
