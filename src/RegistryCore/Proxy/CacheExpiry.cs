using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Cluster;

namespace Wharf.Registry.Proxy;

/// <summary>What one expiry pass removed from an upstream's cache.</summary>
public sealed record CacheExpiryResult(string Upstream, int Manifests, int Tags, int BlobLinks);

/// <summary>
/// Drops cached content nobody pulled within its upstream's TTL, so that garbage collection reclaims the bytes.
/// In each repository the cache created: manifests whose last pull (or caching) is older than the TTL go, with their
/// tags; then blob links that no remaining manifest of the repository references and that are older than the TTL.
/// Nothing is deleted from the store here: content that is no longer referenced is garbage collection's to remove.
/// Runs every half TTL (between a second and an hour), and on demand through <see cref="ExpireAsync"/>.
/// </summary>
public sealed partial class CacheExpiry(
    IDbContextFactory<RegistryDbContext> contexts,
    ClusterLeases leases,
    ScheduleClaims claims,
    UpstreamCatalog upstreams,
    IRegistryEventSink events,
    TimeProvider clock,
    ILogger<CacheExpiry> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var ttls = upstreams.Upstreams.Select(u => u.Definition.Ttl).Where(t => t > TimeSpan.Zero).ToList();
            var interval = ttls.Count == 0 ? TimeSpan.FromHours(1) : Clamp(ttls.Min() / 2, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
                // Once per period across the instances sharing the metadata (whoever claims it), and never two at
                // once (whoever holds the lease).
                if (!await claims.TryClaimAsync("cache-expiry", interval, stoppingToken)) continue;
                await using var lease = await leases.TryAcquireAsync("cache-expiry", stoppingToken);
                if (lease is not null) await ExpireAsync(clock.GetUtcNow().UtcDateTime, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
            }
        }
    }

    /// <summary>Expires, as of <paramref name="now"/>, everything not pulled within its upstream's TTL.</summary>
    public async Task<IReadOnlyList<CacheExpiryResult>> ExpireAsync(DateTime now, CancellationToken cancellationToken)
    {
        var results = new List<CacheExpiryResult>();
        foreach (var upstream in upstreams.Upstreams)
        {
            var ttl = upstream.Definition.Ttl;
            if (ttl <= TimeSpan.Zero) continue;
            var result = await ExpireAsync(upstream.Name, now - ttl, cancellationToken);
            if (result.Manifests + result.BlobLinks == 0) continue;
            results.Add(result);
            LogExpired(logger, upstream.Name, result.Manifests, result.Tags, result.BlobLinks, ttl);
        }
        return results;
    }

    private async Task<CacheExpiryResult> ExpireAsync(string upstream, DateTime cutoff, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositories = db.CachedRepositories.Where(c => c.Upstream == upstream).Select(c => c.RepositoryId);
        var expired = await (from m in db.Manifests
                             join r in db.Repositories on m.RepositoryId equals r.Id
                             where repositories.Contains(m.RepositoryId) && (m.LastPulledAt ?? m.PushedAt) < cutoff
                             select new { m.Id, m.RepositoryId, Repository = r.Name, m.Digest, m.MediaType })
            .ToListAsync(cancellationToken);

        var tags = 0;
        var deleted = expired.Take(0).ToList();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // Tags may go with the manifests: every repository's tag generation first (TagGenerations).
            await db.BumpAsync(expired.Select(m => m.RepositoryId), cancellationToken);
            foreach (var m in expired)
            {
                // Re-checked inside the transaction: a pull since the query keeps the manifest.
                var removed = await db.Manifests
                    .Where(x => x.Id == m.Id && (x.LastPulledAt ?? x.PushedAt) < cutoff)
                    .ExecuteDeleteAsync(cancellationToken);
                if (removed == 0) continue;
                deleted.Add(m);
                tags += await db.Tags.Where(t => t.RepositoryId == m.RepositoryId && t.ManifestDigest == m.Digest).ExecuteDeleteAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }

        var links = await db.RepositoryBlobs
            .Where(rb => repositories.Contains(rb.RepositoryId) && rb.LinkedAt < cutoff)
            .Where(rb => !(from reference in db.ManifestReferences
                           join m in db.Manifests on reference.ManifestId equals m.Id
                           where m.RepositoryId == rb.RepositoryId && reference.Digest == rb.Digest
                           select reference).Any())
            .ExecuteDeleteAsync(cancellationToken);

        foreach (var m in deleted)
        {
            events.Publish(new RegistryEvent(RegistryEventKind.ManifestDeleted, m.Repository, RegistryCaller.System)
            {
                Digest = m.Digest,
                MediaType = m.MediaType,
            });
        }
        return new CacheExpiryResult(upstream, deleted.Count, tags, links);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache expiry for upstream {Upstream}: removed {Manifests} manifests, {Tags} tags and {Links} blob links not pulled within {Ttl}; garbage collection reclaims their bytes")]
    private static partial void LogExpired(ILogger logger, string upstream, int manifests, int tags, int links, TimeSpan ttl);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cache expiry failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
