using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Accounts;
using Wharf.Portal.Data;

namespace Wharf.Portal.Audit;

/// <summary>How long the audit trail keeps its entries (<c>Wharf:Audit:RetentionDays</c>, 365 by default).</summary>
public sealed class AuditSettings
{
    public int RetentionDays { get; init; } = 365;

    /// <exception cref="InvalidDataException">The setting is not a positive whole number of days.</exception>
    public static AuditSettings Bind(IConfiguration configuration)
    {
        var text = configuration["Wharf:Audit:RetentionDays"];
        if (string.IsNullOrWhiteSpace(text)) return new AuditSettings();
        return int.TryParse(text, out var days) && days > 0
            ? new AuditSettings { RetentionDays = days }
            : throw new InvalidDataException($"Wharf:Audit:RetentionDays: '{text}' is not a positive whole number of days");
    }
}

/// <summary>
/// Every hour: removes audit entries older than the retention, in batches so the audit writer is never held up
/// for long, lets the sign-in throttle report refusals of ended blocks and drop what it has forgotten, and writes the
/// sign-in rate limit's refusals not yet in the trail.
/// </summary>
public sealed partial class AuditRetention(
    IServiceScopeFactory scopes, AuditSettings settings, TimeProvider clock, ILogger<AuditRetention> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>The number of audit entries removed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-settings.RetentionDays);
        var removed = 0;
        while (true)
        {
            var batch = await db.AuditEntries.Where(e => e.Timestamp < cutoff).OrderBy(e => e.Id).Select(e => e.Id).Take(BatchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0) break;
            removed += await db.AuditEntries.Where(e => batch.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
        }
        if (removed > 0) LogRemoved(logger, removed, settings.RetentionDays);
        await scope.ServiceProvider.GetRequiredService<SignInThrottle>().SweepAsync(cancellationToken);
        scope.ServiceProvider.GetRequiredService<Access.SignInRateLimitAudit>().Flush();
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit trail: removed {Count} entries older than {Days} days")]
    private static partial void LogRemoved(ILogger logger, int count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit retention run failed; it is tried again in an hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
