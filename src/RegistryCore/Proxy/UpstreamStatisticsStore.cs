using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Keeps <see cref="UpstreamStatistics"/> across restarts: restores the totals from the database at start, then adds
/// what was counted every <see cref="FlushEvery"/> and once more at shutdown. Each flush is one UPDATE per upstream that
/// changed (<c>SET hits = hits + @delta</c>), so instances sharing a database add up rather than overwrite each other,
/// and the pull path never waits for the database. At most one interval of counts is lost if the process is killed.
/// </summary>
public sealed partial class UpstreamStatisticsStore(
    UpstreamStatistics statistics, IDbContextFactory<RegistryDbContext> contexts, TimeProvider clock, ILogger<UpstreamStatisticsStore> logger) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _flushing = new(1, 1);

    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var stored in await db.Set<UpstreamStatisticsRecord>().AsNoTracking().ToListAsync(cancellationToken))
            statistics.Restore(stored);
    }

    /// <summary>Writes what changed since the last flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            foreach (var delta in statistics.Unflushed())
            {
                await WriteAsync(delta, cancellationToken);
                statistics.MarkFlushed(delta);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RestoreAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRestoreFailed(logger, e);
        }
        using var timer = new PeriodicTimer(FlushEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await TryFlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TryFlushAsync(cancellationToken);
    }

    private async Task TryFlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A full disk or a database restart: the counts stay in memory and go with the next flush.
            LogFlushFailed(logger, e);
        }
    }

    private async Task WriteAsync(UpstreamStatsDelta d, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var rows = db.Set<UpstreamStatisticsRecord>().Where(r => r.Upstream == d.Upstream);
            var updated = d.OutcomeChanged
                ? await rows.ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.CacheHits, r => r.CacheHits + d.CacheHits)
                    .SetProperty(r => r.CacheMisses, r => r.CacheMisses + d.CacheMisses)
                    .SetProperty(r => r.Fetches, r => r.Fetches + d.Fetches)
                    .SetProperty(r => r.BytesFromCache, r => r.BytesFromCache + d.BytesFromCache)
                    .SetProperty(r => r.BytesFetched, r => r.BytesFetched + d.BytesFetched)
                    .SetProperty(r => r.StaleServes, r => r.StaleServes + d.StaleServes)
                    .SetProperty(r => r.Reachable, d.Reachable)
                    .SetProperty(r => r.LastError, Shorten(d.LastError))
                    .SetProperty(r => r.LastErrorAt, d.LastErrorAt)
                    .SetProperty(r => r.LastSuccessAt, d.LastSuccessAt), cancellationToken)
                : await rows.ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.CacheHits, r => r.CacheHits + d.CacheHits)
                    .SetProperty(r => r.CacheMisses, r => r.CacheMisses + d.CacheMisses)
                    .SetProperty(r => r.Fetches, r => r.Fetches + d.Fetches)
                    .SetProperty(r => r.BytesFromCache, r => r.BytesFromCache + d.BytesFromCache)
                    .SetProperty(r => r.BytesFetched, r => r.BytesFetched + d.BytesFetched)
                    .SetProperty(r => r.StaleServes, r => r.StaleServes + d.StaleServes), cancellationToken);
            if (updated > 0) return;
            db.Add(new UpstreamStatisticsRecord
            {
                Upstream = d.Upstream, CacheHits = d.CacheHits, CacheMisses = d.CacheMisses, Fetches = d.Fetches, BytesFromCache = d.BytesFromCache,
                BytesFetched = d.BytesFetched, StaleServes = d.StaleServes, Reachable = d.Reachable, LastError = Shorten(d.LastError),
                LastErrorAt = d.LastErrorAt, LastSuccessAt = d.LastSuccessAt,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another instance added the row first: add to it instead.
            }
        }
    }

    private static string? Shorten(string? error) => error is { Length: > 1024 } ? error[..1024] : error;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the upstream statistics kept in the database; they start from zero")]
    private static partial void LogRestoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the upstream statistics to the database; they are kept in memory and written with the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
