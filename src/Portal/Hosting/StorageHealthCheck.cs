using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Hosting;

/// <summary>
/// distribution's health.storagedriver: the store must answer a stat of its root. A full or read-only data
/// directory is reported by name (pulls still work; pushes are refused with a clear error).
/// </summary>
public sealed class StorageHealthCheck(IStorageDriver driver, StorageReserve reserve) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await driver.StatAsync(StorageLayout.V2, cancellationToken);
            if (reserve.IsLow)
                return HealthCheckResult.Unhealthy($"storage full: less than {reserve.Size / (1024 * 1024)} MiB free for the data directory; pushes are refused, pulls and deletes work");
            return HealthCheckResult.Healthy($"{driver.Name} storage reachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy(StorageFault.Classify(e) switch
            {
                StorageFaultKind.Full => "storage full",
                StorageFaultKind.ReadOnly => "storage read-only",
                _ => $"{driver.Name} storage unreachable",
            }, e);
        }
    }
}
