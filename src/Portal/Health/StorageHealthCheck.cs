using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Health;

/// <summary>
/// The store takes writes: the driver's probe writes and deletes a small object (a read-only or full disk, a missing
/// bucket or wrong credentials fail here, where a stat of the root would still pass). Its duration is recorded as the
/// storage latency.
/// </summary>
/// <remarks>
/// A read-only store is reported as degraded, not unhealthy: /readyz still answers 200 (with status "degraded" and the
/// reason), because the instance serves pulls and a load balancer should keep sending it pulls.
/// </remarks>
public sealed class StorageHealthCheck(IBlobStorage driver, HealthMetrics metrics, StorageReserve reserve, IOptions<RegistryOptions> options) : IHealthCheck
{
    private const string ReadOnly = "storage read-only: pulls work, pushes and deletes are refused";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Value.StoreReadOnly)
            return HealthCheckResult.Degraded(ReadOnly + " (read-only since start: restart Wharf once the storage is writable)");
        // Nearly full (less than the reserve kept for deletes and collection): pushes are refused, so say so.
        if (reserve.IsLow)
            return HealthCheckResult.Unhealthy($"storage full: less than {reserve.Size / (1024 * 1024)} MiB free for the data directory; pushes are refused, pulls and deletes work");
        var started = Stopwatch.GetTimestamp();
        try
        {
            await driver.ProbeAsync(cancellationToken);
            metrics.Storage(Stopwatch.GetElapsedTime(started));
            return HealthCheckResult.Healthy($"{driver.Name} storage writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or InvalidOperationException)
        {
            // Named, not the runtime's message (it carries server paths).
            return StorageFault.Classify(e) switch
            {
                StorageFaultKind.Full => HealthCheckResult.Unhealthy("storage full"),
                StorageFaultKind.ReadOnly => HealthCheckResult.Degraded(ReadOnly),
                _ => HealthCheckResult.Unhealthy($"{driver.Name} storage not writable: {e.GetType().Name}"),
            };
        }
    }
}
