using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Data;

namespace Wharf.Portal.Audit;

/// <summary>Drains the audit queue into the portal database in batches.</summary>
public sealed partial class AuditWriter(AuditLog log, IDbContextFactory<PortalDbContext> databases, ILogger<AuditWriter> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEntry>(BatchSize);
        while (await log.Reader.WaitToReadAsync(stoppingToken))
        {
            log.BeginWrite();
            try
            {
                while (batch.Count < BatchSize && log.Reader.TryRead(out var entry)) batch.Add(entry);
                await using var db = await databases.CreateDbContextAsync(stoppingToken);
                db.AuditEntries.AddRange(batch);
                await db.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, batch.Count, e);
            }
            finally
            {
                batch.Clear();
                log.EndWrite();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write {Count} audit entries")]
    private static partial void LogFailed(ILogger logger, int count, Exception exception);
}
