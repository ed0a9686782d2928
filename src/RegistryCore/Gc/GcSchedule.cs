using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wharf.Registry.Gc;

/// <summary>
/// Collects every <see cref="GarbageCollectionOptions.Interval"/> while the registry serves; off unless the interval is
/// set. The first run comes one interval after start, so a restart loop never turns into a collection loop.
/// </summary>
public sealed partial class GcSchedule(GarbageCollector collector, IOptions<GarbageCollectionOptions> options, TimeProvider time, ILogger<GcSchedule> logger)
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
