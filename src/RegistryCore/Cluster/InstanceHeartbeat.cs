using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wharf.Registry.Cluster;

/// <summary>Registers this instance at start, heartbeats every <see cref="ClusterOptions.HeartbeatInterval"/>, and deregisters at a clean stop.</summary>
public sealed partial class InstanceHeartbeat(ClusterInstances instances, ThisInstance self, IOptions<ClusterOptions> options, TimeProvider time,
    ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogRegistering(logger, self.Id, self.Version);
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        do
        {
            try
            {
                await instances.HeartbeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away for a while: the instance shows as silent meanwhile, /readyz fails.
                LogHeartbeatFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await instances.DeregisterAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogHeartbeatFailed(logger, e.Message); // it shows as silent, then is pruned
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance registers as {Instance} (Wharf {Version})")]
    private static partial void LogRegistering(ILogger logger, string instance, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance heartbeat failed: {Message}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string message);
}
