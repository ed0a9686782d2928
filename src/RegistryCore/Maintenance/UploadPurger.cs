using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;
using Wharf.Registry.Cluster;

namespace Wharf.Registry.Maintenance;

/// <summary>
/// distribution's <c>storage.maintenance.uploadpurging</c>: removes upload sessions nobody touched for longer than the
/// purge age, and scratch files that a crash left behind.
/// </summary>
public sealed partial class UploadPurger(
    IServiceScopeFactory scopes,
    ClusterLeases leases,
    IStorageDriver driver,
    IOptions<RegistryOptions> options,
    ILogger<UploadPurger> logger) : BackgroundService
{
    /// <summary>Scratch files are written and renamed within one request; an hour-old one belongs to a dead process.</summary>
    private static readonly TimeSpan ScratchAge = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.UploadPurgingEnabled) return;
        using var timer = new PeriodicTimer(settings.UploadPurgingInterval > TimeSpan.Zero ? settings.UploadPurgingInterval : TimeSpan.FromHours(24));
        do
        {
            try
            {
                // Once at a time across the instances sharing the metadata: whoever holds the lease purges.
                await using var lease = await leases.TryAcquireAsync("upload-purging", stoppingToken);
                if (lease is not null) await PurgeAsync(DateTime.UtcNow, stoppingToken);
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
        var settings = options.Value;
        var cutoff = now - settings.UploadPurgingAge;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var stale = await db.UploadSessions.Where(s => s.UpdatedAt < cutoff).Select(s => s.Id).ToListAsync(cancellationToken);
        if (dryRun)
        {
            LogDryRun(logger, stale.Count, settings.UploadPurgingAge);
            return stale.Count;
        }
        foreach (var id in stale)
        {
            await db.UploadSessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);
            await driver.DeleteAsync(StorageLayout.UploadDirectory(id), cancellationToken);
        }

        // Session directories with no row (a crash between creating the file and recording the session).
        var known = (await db.UploadSessions.Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
        await foreach (var entry in driver.ListAsync(StorageLayout.UploadsRoot, cancellationToken))
        {
            if (Guid.TryParse(Path.GetFileName(entry.Path), out var id) && !known.Contains(id) && entry.ModifiedUtc < cutoff)
                await driver.DeleteAsync(entry.Path, cancellationToken);
        }
        await foreach (var entry in driver.ListAsync(StorageLayout.ScratchRoot, cancellationToken))
        {
            if (entry.ModifiedUtc < now - ScratchAge) await driver.DeleteAsync(entry.Path, cancellationToken);
        }
        if (stale.Count > 0) LogPurged(logger, stale.Count, settings.UploadPurgingAge);
        return stale.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} upload sessions idle for more than {Age}")]
    private static partial void LogPurged(ILogger logger, int count, TimeSpan age);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload purging dry run: {Count} sessions idle for more than {Age} would be removed")]
    private static partial void LogDryRun(ILogger logger, int count, TimeSpan age);

    [LoggerMessage(Level = LogLevel.Error, Message = "Upload purging failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
