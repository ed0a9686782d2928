using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Hosting;

/// <summary>distribution's health.storagedriver: the store must answer its driver's probe (a stat of the root, or one small listing).</summary>
public sealed class StorageHealthCheck(IBlobStorage driver) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await driver.ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{driver.Name} storage reachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{driver.Name} storage unreachable", e);
        }
    }
}
