using Wharf.Registry.Manifests;
using Wharf.Registry.Proxy;

namespace Wharf.Registry.Caching;

/// <summary>
/// The outermost <see cref="IManifestSource"/>: answers repeated manifest lookups and reads from
/// <see cref="RegistryReadCache"/>. Repositories under a pull-through prefix pass straight through: their tags are
/// checked upstream on every pull, which is the point of the cache there.
/// </summary>
public sealed class CachedManifestSource(Lazy<IManifestSource> source, RegistryReadCache cache, UpstreamCatalog upstreams) : IManifestSource
{
    private IManifestSource Inner => source.Value;

    public async Task<StoredManifest?> FindAsync(string repository, string reference, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (upstreams.Match(repository) is not null) return await Inner.FindAsync(repository, reference, caller, cancellationToken);
        if (cache.GetManifest(repository, reference) is { } known) return known;
        var token = cache.TokenFor(repository);
        var found = await Inner.FindAsync(repository, reference, caller, cancellationToken);
        if (found is not null) cache.SetManifest(repository, reference, found, token);
        return found;
    }

    public async Task<byte[]> ReadContentAsync(StoredManifest manifest, CancellationToken cancellationToken)
    {
        // By digest: the same bytes whichever repository holds them, and they never change.
        if (cache.GetContent(manifest.Digest) is { } bytes) return bytes;
        var content = await Inner.ReadContentAsync(manifest, cancellationToken);
        cache.SetContent(manifest.Digest, content);
        return content;
    }
}
