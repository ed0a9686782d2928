using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;

namespace Wharf.Registry.Gc;

/// <summary>
/// Collects every <see cref="GarbageCollectionOptions.Interval"/> while the registry serves; off unless the interval is
/// set. The first run comes one interval after start, so a restart loop never turns into a collection loop. Every
/// instance's timer fires; the one that claims the period (<see cref="ScheduleClaims"/>) collects, so the schedule
/// runs once per interval across the cluster, and goes on when that instance dies.
/// </summary>
public sealed partial class GcSchedule(GarbageCollector collector, ScheduleClaims claims, IOptions<GarbageCollectionOptions> options, TimeProvider time,
    ILogger<GcSchedule> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Interval is not { } interval) return;
        LogScheduled(logger, interval, settings.DeleteUntagged, settings.GracePeriod);
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await claims.TryClaimAsync("gc", interval, stoppingToken))
                    await collector.RunAsync(settings.DeleteUntagged, RegistryCaller.System, stoppingToken);
            }
            catch (GcBusyException)
            {
                LogBusy(logger);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection scheduled every {Interval} (delete untagged: {DeleteUntagged}, grace period {GracePeriod})")]
    private static partial void LogScheduled(ILogger logger, TimeSpan interval, bool deleteUntagged, TimeSpan gracePeriod);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled garbage collection skipped: another collection is running")]
    private static partial void LogBusy(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled garbage collection failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
