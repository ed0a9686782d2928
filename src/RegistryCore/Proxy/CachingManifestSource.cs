using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Proxy;

/// <summary>
/// The pull-through cache in front of <see cref="ManifestService"/>. A repository outside every proxied prefix is
/// read as it is. Inside one, a lookup by digest is served from the cache without asking the upstream, and one by
/// tag goes through <see cref="UpstreamManifestFetcher"/>. Pulls of cached manifests are recorded
/// (<c>LastPulledAt</c>), which keeps them from expiring.
/// </summary>
public sealed partial class CachingManifestSource(
    ManifestService local,
    UpstreamCatalog upstreams,
    UpstreamManifestFetcher fetcher,
    CacheMetadata metadata,
    UpstreamStatistics statistics,
    IRegistryEventSink events,
    ILogger<CachingManifestSource> logger) : IManifestSource
{
    /// <summary>The finest granularity of last-pulled times (coarser when the TTL is long).</summary>
    private static readonly TimeSpan PullRecordGranularity = TimeSpan.FromMinutes(1);

    public async Task<StoredManifest?> FindAsync(string repository, string reference, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var match = upstreams.Match(repository);
        var cached = await local.FindAsync(repository, reference, cancellationToken);
        if (match is null) return cached;

        ManifestOutcome outcome;
        try
        {
            if (Digest.LooksLikeDigest(reference))
            {
                if (cached is not null) outcome = new ManifestOutcome(ManifestOutcomeKind.Cached, cached);
                else if (!Digest.TryParse(reference, out var digest)) return null;
                else outcome = await fetcher.FetchByDigestAsync(match, digest.Value, cancellationToken);
            }
            else
            {
                if (!TagName.IsValid(reference)) return null;
                outcome = await fetcher.RefreshTagAsync(match, reference, cached, cancellationToken);
            }
        }
        catch (UpstreamException e)
        {
            throw e.ToRegistryException();
        }

        var name = match.Upstream.Name;
        switch (outcome.Kind)
        {
            case ManifestOutcomeKind.NotFound:
                return null;
            case ManifestOutcomeKind.Fetched:
                statistics.Miss(name);
                Publish(RegistryEventKind.CacheMiss, match, reference, outcome.Manifest!, caller, $"fetched from upstream '{name}'");
                return outcome.Manifest;
            case ManifestOutcomeKind.Stale:
                statistics.Stale(name);
                LogStale(logger, repository, reference, outcome.Manifest!.Digest, outcome.Error);
                goto default;
            default:
                statistics.Hit(name, 0);
                Publish(RegistryEventKind.CacheHit, match, reference, outcome.Manifest!, caller, outcome.Kind == ManifestOutcomeKind.Stale
                    ? $"served stale: upstream '{name}' could not be asked ({outcome.Error})"
                    : $"current at upstream '{name}'");
                var ttl = match.Definition.Ttl;
                var granularity = ttl > TimeSpan.Zero && ttl / 10 < PullRecordGranularity ? ttl / 10 : PullRecordGranularity;
                await metadata.TouchManifestAsync(repository, outcome.Manifest!.Digest, granularity, cancellationToken);
                return outcome.Manifest;
        }
    }

    public Task<byte[]> ReadContentAsync(StoredManifest manifest, CancellationToken cancellationToken) =>
        local.ReadContentAsync(manifest, cancellationToken);

    private void Publish(RegistryEventKind kind, UpstreamMatch match, string reference, StoredManifest manifest, RegistryCaller caller, string detail) =>
        events.Publish(new RegistryEvent(kind, match.LocalName, caller)
        {
            Detail = detail,
            Digest = manifest.Digest,
            Tag = Digest.LooksLikeDigest(reference) ? null : reference,
            MediaType = manifest.MediaType,
            Size = manifest.Size,
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Serving cached {Repository}:{Reference} ({Digest}) stale: the upstream could not be asked ({Error})")]
    private static partial void LogStale(ILogger logger, string repository, string reference, string digest, string? error);
}
