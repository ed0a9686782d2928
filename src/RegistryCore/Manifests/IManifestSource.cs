namespace Wharf.Registry.Manifests;

/// <summary>
/// Finding and reading manifests for the API. <see cref="ManifestService"/> reads the local metadata; the
/// pull-through cache decorates it, so the handlers never know whether a manifest is local or comes from an upstream.
/// </summary>
public interface IManifestSource
{
    /// <summary>Finds a manifest by tag or digest; null when the repository does not have it.</summary>
    Task<StoredManifest?> FindAsync(string repository, string reference, RegistryCaller caller, CancellationToken cancellationToken);

    Task<byte[]> ReadContentAsync(StoredManifest manifest, CancellationToken cancellationToken);
}
