using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;
using Wharf.Registry.Cluster;
using Wharf.Registry.Uploads;

namespace Wharf.Registry.Maintenance;

/// <summary>
/// distribution's <c>storage.maintenance.uploadpurging</c>: removes upload sessions nobody touched for longer than the
/// purge age, and much sooner (<see cref="UploadOptions.AbandonedAge"/>) the ones that look abandoned: no byte ever
/// arrived, the last chunk failed, or the request writing to it died (its claim lapsed). Their staged bytes are
/// removed through the storage upload (S3 multipart uploads are aborted, Azure's uncommitted blocks dropped), and so
/// are staging areas no session row names (a crash between staging and recording), scratch files, and the
/// multipart uploads and staged blocks of whole-object puts that a crash interrupted.
/// </summary>
public sealed partial class UploadPurger(
    IServiceScopeFactory scopes,
    ClusterLeases leases,
    ScheduleClaims claims,
    IBlobStorage storage,
    IOptions<RegistryOptions> options,
    IOptions<UploadOptions> uploadOptions,
    TimeProvider time,
    ILogger<UploadPurger> logger) : BackgroundService
{
    /// <summary>Scratch files are written and renamed within one request; an hour-old one belongs to a dead process.</summary>
    private static readonly TimeSpan ScratchAge = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.UploadPurgingEnabled) return;
        var interval = settings.UploadPurgingInterval > TimeSpan.Zero ? settings.UploadPurgingInterval : TimeSpan.FromHours(24);
        // The idle age is checked every run too; running more often than uploadpurging.interval only brings the
        // abandoned sessions' space back sooner.
        var period = interval < uploadOptions.Value.AbandonedCheckInterval ? interval : uploadOptions.Value.AbandonedCheckInterval;
        using var timer = new PeriodicTimer(period, time);
        do
        {
            try
            {
                // Once per period across the instances sharing the metadata (whoever claims it), and never two at
                // once (whoever holds the lease).
                if (!await claims.TryClaimAsync("upload-purging", period, stoppingToken)) continue;
                await using var lease = await leases.TryAcquireAsync("upload-purging", stoppingToken);
                if (lease is not null) await PurgeAsync(time.GetUtcNow().UtcDateTime, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>How many upload sessions were removed (or would be, in dry-run mode).</returns>
    public Task<int> PurgeAsync(DateTime now, CancellationToken cancellationToken) =>
        PurgeAsync(now, options.Value.UploadPurgingDryRun, cancellationToken);

    /// <summary>The same, with the dry-run choice made by the caller (garbage collection's preview counts only).</summary>
    public async Task<int> PurgeAsync(DateTime now, bool dryRun, CancellationToken cancellationToken)
    {
        var idleCutoff = now - options.Value.UploadPurgingAge;
        var abandonedCutoff = now - uploadOptions.Value.AbandonedAge;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var stale = await Purgeable(db.UploadSessions, now, idleCutoff, abandonedCutoff)
            .Select(s => new { s.Id, s.StorageState }).ToListAsync(cancellationToken);
        if (dryRun)
        {
            LogDryRun(logger, stale.Count, options.Value.UploadPurgingAge, uploadOptions.Value.AbandonedAge);
            return stale.Count;
        }
        var purged = 0;
        foreach (var session in stale)
        {
            // Re-checked in the delete itself: a session a request claimed or moved on since is left alone.
            var id = session.Id;
            if (await Purgeable(db.UploadSessions.Where(s => s.Id == id), now, idleCutoff, abandonedCutoff).ExecuteDeleteAsync(cancellationToken) == 0)
                continue;
            await UploadStaging.DiscardAsync(storage, id, session.StorageState, cancellationToken);
            purged++;
        }

        await PurgeUnrecordedStagingAsync(db, abandonedCutoff, cancellationToken);
        // Multipart uploads and staged blocks of whole-object puts a crash interrupted (object stores only). Such a
        // put cannot tell whether it is still running, so it gets the purge age of an idle session.
        await storage.PurgeInterruptedWritesAsync(idleCutoff, cancellationToken);
        // Temporary files of puts that a crash interrupted (the filesystem store's; object stores have none).
        var scratch = new List<string>();
        await foreach (var item in storage.ListAllAsync(StorageLayout.ScratchRoot + "/", cancellationToken))
        {
            if (item.Modified.UtcDateTime < now - ScratchAge) scratch.Add(item.Key);
        }
        if (scratch.Count > 0) await storage.DeleteManyAsync(scratch, cancellationToken);
        if (purged > 0) LogPurged(logger, purged, options.Value.UploadPurgingAge, uploadOptions.Value.AbandonedAge);
        return purged;
    }

    /// <summary>Sessions idle past the purge age, or past the abandoned age when they look abandoned, and not being written now.</summary>
    private static IQueryable<UploadSessionRecord> Purgeable(IQueryable<UploadSessionRecord> sessions, DateTime now, DateTime idleCutoff, DateTime abandonedCutoff) =>
        sessions.Where(s => (s.ClaimToken == null || s.ClaimExpiresAt < now)
            && (s.UpdatedAt < idleCutoff || (s.UpdatedAt < abandonedCutoff && (s.Size == 0 || s.LastChunkFailed || s.ClaimToken != null))));

    /// <summary>Staging areas that no session row names, once nothing in them changed for the abandoned age.</summary>
    private async Task PurgeUnrecordedStagingAsync(RegistryDbContext db, DateTime cutoff, CancellationToken cancellationToken)
    {
        var newest = new Dictionary<Guid, DateTimeOffset>();
        await foreach (var item in storage.ListAllAsync(StorageLayout.UploadsRoot + "/", cancellationToken))
        {
            var rest = item.Key[(StorageLayout.UploadsRoot.Length + 1)..];
            var slash = rest.IndexOf('/');
            if (!Guid.TryParseExact(slash < 0 ? rest : rest[..slash], "D", out var id)) continue;
            newest[id] = newest.TryGetValue(id, out var seen) && seen > item.Modified ? seen : item.Modified;
        }
        foreach (var (id, modified) in newest)
        {
            if (modified.UtcDateTime >= cutoff || await db.UploadSessions.AnyAsync(s => s.Id == id, cancellationToken)) continue;
            await storage.DeletePrefixAsync(StorageLayout.UploadDirectory(id) + "/", cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} upload sessions idle for more than {Age} (or {AbandonedAge} when abandoned)")]
    private static partial void LogPurged(ILogger logger, int count, TimeSpan age, TimeSpan abandonedAge);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload purging dry run: {Count} sessions idle for more than {Age} (or {AbandonedAge} when abandoned) would be removed")]
    private static partial void LogDryRun(ILogger logger, int count, TimeSpan age, TimeSpan abandonedAge);

    [LoggerMessage(Level = LogLevel.Error, Message = "Upload purging failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
