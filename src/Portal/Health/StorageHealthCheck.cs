using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Health;

/// <summary>
/// The store takes writes: the driver's probe writes and deletes a small object (a read-only or full disk, a missing
/// bucket or wrong credentials fail here, where a stat of the root would still pass). Its duration is recorded as the
/// storage latency.
/// </summary>
public sealed class StorageHealthCheck(IBlobStorage driver, HealthMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await driver.ProbeAsync(cancellationToken);
            metrics.Storage(Stopwatch.GetElapsedTime(started));
            return HealthCheckResult.Healthy($"{driver.Name} storage writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{driver.Name} storage not writable: {e.Message}");
        }
    }
}
