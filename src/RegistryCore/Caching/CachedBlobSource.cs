using Wharf.Registry.Blobs;
using Wharf.Registry.Content;
using Wharf.Registry.Proxy;

namespace Wharf.Registry.Caching;

/// <summary>
/// The outermost <see cref="IBlobSource"/>: answers a repeated blob HEAD (is it in this repository, and how big) from
/// <see cref="RegistryReadCache"/>. GETs go to the store (the bytes dominate; the file is sent with sendfile) and
/// record the size they learn. Pull-through repositories pass straight through.
/// </summary>
public sealed class CachedBlobSource(Lazy<IBlobSource> source, RegistryReadCache cache, UpstreamCatalog upstreams) : IBlobSource
{
    private IBlobSource Inner => source.Value;

    public async Task<BlobRead?> ReadAsync(string repository, Digest digest, BlobReadMode mode, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (upstreams.Match(repository) is not null) return await Inner.ReadAsync(repository, digest, mode, caller, cancellationToken);
        var key = digest.ToString();
        if (mode == BlobReadMode.Head && cache.GetBlobSize(repository, key) is { } size) return new BlobRead(size, null);
        var token = cache.TokenFor(repository);
        var read = await Inner.ReadAsync(repository, digest, mode, caller, cancellationToken);
        if (read?.Size is { } known) cache.SetBlobSize(repository, key, known, token);
        return read;
    }
}
