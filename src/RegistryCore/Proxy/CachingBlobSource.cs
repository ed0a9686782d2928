using Wharf.Registry.Blobs;
using Wharf.Registry.Content;
using Wharf.Registry.Events;

namespace Wharf.Registry.Proxy;

/// <summary>
/// The pull-through cache in front of <see cref="BlobService"/>. A repository outside every proxied prefix is read
/// as it is. Inside one, a linked blob is served from the store (a hit, no upstream call: blobs are addressed by
/// content); otherwise it is fetched through <see cref="UpstreamBlobFetcher"/> and streamed to the client while it
/// is written, all concurrent requests sharing one upstream GET. A ranged GET waits for the fetch and is then served
/// from the store.
/// </summary>
public sealed class CachingBlobSource(
    BlobService local,
    UpstreamCatalog upstreams,
    UpstreamBlobFetcher fetcher,
    UpstreamStatistics statistics,
    IRegistryEventSink events) : IBlobSource
{
    public async Task<BlobRead?> ReadAsync(string repository, Digest digest, BlobReadMode mode, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var match = upstreams.Match(repository);
        var cached = await local.ReadAsync(repository, digest, mode, caller, cancellationToken);
        if (match is null) return cached;
        if (cached is not null)
        {
            statistics.Hit(match.Upstream.Name, mode == BlobReadMode.Stream ? cached.Size ?? 0 : 0);
            Publish(RegistryEventKind.CacheHit, match, digest, cached.Size, caller);
            return cached;
        }

        try
        {
            if (mode == BlobReadMode.Head)
            {
                var size = await fetcher.StatAsync(match, digest, cancellationToken);
                return size is null ? null : new BlobRead(size, null);
            }

            var fetch = fetcher.GetOrStart(match, digest, out _);
            var length = await fetch.Started.WaitAsync(cancellationToken);
            // Failed after it started, before this request joined it: say why now, while an error can still be answered.
            if (fetch.Completed.IsFaulted) await fetch.Completed;
            statistics.Miss(match.Upstream.Name);
            Publish(RegistryEventKind.CacheMiss, match, digest, length, caller);
            if (mode == BlobReadMode.Seekable)
            {
                await fetch.Completed.WaitAsync(cancellationToken);
                return await local.ReadAsync(repository, digest, mode, caller, cancellationToken);
            }
            return new BlobRead(length, fetch.OpenReader());
        }
        catch (UpstreamException e) when (e.Failure == UpstreamFailure.NotFound)
        {
            return null;
        }
        catch (UpstreamException e)
        {
            throw e.ToRegistryException();
        }
    }

    private void Publish(RegistryEventKind kind, UpstreamMatch match, Digest digest, long? size, RegistryCaller caller) =>
        events.Publish(new RegistryEvent(kind, match.LocalName, caller)
        {
            Digest = digest.ToString(),
            Size = size,
            Detail = kind == RegistryEventKind.CacheHit ? $"blob cached from upstream '{match.Upstream.Name}'" : $"blob fetched from upstream '{match.Upstream.Name}'",
        });
}
