using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Hosting;

/// <summary>distribution's health.storagedriver: the store must answer a stat of its root.</summary>
public sealed class StorageHealthCheck(IStorageDriver driver) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await driver.StatAsync(StorageLayout.V2, cancellationToken);
            return HealthCheckResult.Healthy($"{driver.Name} storage reachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{driver.Name} storage unreachable", e);
        }
    }
}
