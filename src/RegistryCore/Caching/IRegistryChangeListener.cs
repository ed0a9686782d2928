namespace Wharf.Registry.Caching;

/// <summary>
/// Told when what the registry's metadata says about a repository (its tags, manifests, blob links) may have changed
/// or gone, so that whatever keeps a copy drops it. The engine raises these after every write that moves a tag or
/// removes something (see <see cref="ChangeRaisingEventSink"/>); <see cref="RegistryReadCache"/> is the in-process
/// listener. With several instances on one database, a cluster-wide notifier registered as another listener passes
/// each change on to the other instances, which hand it to their own <see cref="RegistryReadCache"/>.
/// </summary>
public interface IRegistryChangeListener
{
    void RepositoryChanged(string repository);

    /// <summary>Anything may have changed (a garbage collection swept blobs out of every repository).</summary>
    void EverythingChanged();
}
