using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Proxy;

public enum ManifestOutcomeKind
{
    /// <summary>The cached manifest is current (or was asked for by digest, which never changes).</summary>
    Cached,
    /// <summary>Fetched from the upstream just now and cached.</summary>
    Fetched,
    /// <summary>The upstream could not be asked; the cached manifest is served as it is.</summary>
    Stale,
    /// <summary>The upstream does not have it.</summary>
    NotFound,
}

/// <summary>What a manifest lookup through the cache came to; <see cref="Error"/> says why a stale copy was served.</summary>
public sealed record ManifestOutcome(ManifestOutcomeKind Kind, StoredManifest? Manifest, string? Error = null);

/// <summary>
/// Keeps cached manifests current. By tag: a HEAD asks the upstream which digest the tag names now (a HEAD does not
/// count against Docker Hub's pull limit); only a changed digest is fetched and cached; when the upstream fails, the
/// cached manifest is served stale. By digest: fetched once, then never asked again. Concurrent lookups of the same
/// reference share one upstream exchange; across instances, the GET of one manifest digest is made under its fetch
/// lease (as for blobs, <see cref="ClusterLeases.AcquireFetchAsync"/>), and an instance that waited for another finds
/// the manifest cached when it gets the lease.
/// </summary>
public sealed class UpstreamManifestFetcher(
    CacheMetadata metadata,
    ClusterLeases leases,
    IServiceScopeFactory scopes,
    IOptions<RegistryOptions> options,
    IHostApplicationLifetime lifetime)
{
    private readonly SingleFlight<(string Repository, string Reference), ManifestOutcome> _flights = new();

    public Task<ManifestOutcome> RefreshTagAsync(UpstreamMatch match, string tag, StoredManifest? cached, CancellationToken cancellationToken) =>
        _flights.RunAsync((match.LocalName, tag), t => RefreshAsync(match, tag, cached, t), cancellationToken, lifetime.ApplicationStopping);

    public Task<ManifestOutcome> FetchByDigestAsync(UpstreamMatch match, Digest digest, CancellationToken cancellationToken) =>
        _flights.RunAsync((match.LocalName, digest.ToString()), t => FetchUnderLeaseAsync(match, digest, digest.ToString(), tag: null, t),
            cancellationToken, lifetime.ApplicationStopping);

    private async Task<ManifestOutcome> RefreshAsync(UpstreamMatch match, string tag, StoredManifest? cached, CancellationToken cancellationToken)
    {
        if (cached is not null && match.Client.IsBackingOff)
            return new ManifestOutcome(ManifestOutcomeKind.Stale, cached, $"upstream '{match.Upstream.Name}' timed out less than {UpstreamClient.TimeoutBackOff.TotalSeconds:0} s ago");
        try
        {
            var head = await match.Client.HeadManifestAsync(match.RemoteName, tag, cancellationToken);
            if (head is null) return new ManifestOutcome(ManifestOutcomeKind.NotFound, null);
            if (cached is not null && head.Digest?.ToString() == cached.Digest) return new ManifestOutcome(ManifestOutcomeKind.Cached, cached);
            if (head.Digest is { } current) return await FetchUnderLeaseAsync(match, current, tag, tag, cancellationToken);
            var fetched = await FetchAndRecordAsync(match, tag, tag, cancellationToken);
            return fetched is null ? new ManifestOutcome(ManifestOutcomeKind.NotFound, null) : new ManifestOutcome(ManifestOutcomeKind.Fetched, fetched);
        }
        catch (UpstreamException e) when (cached is not null && e.IsFailure)
        {
            return new ManifestOutcome(ManifestOutcomeKind.Stale, cached, e.Message);
        }
    }

    /// <summary>
    /// Fetches <paramref name="reference"/> (which names <paramref name="digest"/>) under the digest's fetch lease,
    /// unless the instance that held the lease before has cached it meanwhile. When the wait runs out, it fetches anyway.
    /// </summary>
    private async Task<ManifestOutcome> FetchUnderLeaseAsync(UpstreamMatch match, Digest digest, string reference, string? tag,
        CancellationToken cancellationToken)
    {
        await using (var lease = await leases.AcquireFetchAsync($"{match.Upstream.Name}/{match.RemoteName}@{digest}", options.Value.Proxy.FetchWait, cancellationToken))
        {
            if (lease is not null)
            {
                await using var scope = scopes.CreateAsyncScope();
                var recorded = await scope.ServiceProvider.GetRequiredService<ManifestService>().FindAsync(match.LocalName, reference, cancellationToken);
                if (recorded?.Digest == digest.ToString()) return new ManifestOutcome(ManifestOutcomeKind.Cached, recorded);
            }
            var fetched = await FetchAndRecordAsync(match, reference, tag, cancellationToken);
            return fetched is null ? new ManifestOutcome(ManifestOutcomeKind.NotFound, null) : new ManifestOutcome(ManifestOutcomeKind.Fetched, fetched);
        }
    }

    private async Task<StoredManifest?> FetchAndRecordAsync(UpstreamMatch match, string reference, string? tag, CancellationToken cancellationToken)
    {
        var fetched = await match.Client.GetManifestAsync(match.RemoteName, reference, options.Value.MaxManifestBytes, cancellationToken);
        if (fetched is null) return null;
        ParsedManifest parsed;
        try
        {
            parsed = ManifestParser.Parse(fetched.Content, fetched.MediaType);
        }
        catch (RegistryException e)
        {
            throw new UpstreamException(UpstreamFailure.Invalid,
                $"upstream '{match.Upstream.Name}' sent manifest {match.RemoteName}:{reference}, which Wharf cannot cache: {e.Message}", e);
        }
        return await metadata.RecordManifestAsync(match, fetched, parsed, tag, cancellationToken);
    }
}
