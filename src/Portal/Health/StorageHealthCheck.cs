using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Storage;

namespace Wharf.Portal.Health;

/// <summary>
/// The store takes writes: a small scratch object is written, committed and deleted (a read-only or full disk fails
/// here, where a stat of the root would still pass). Its duration is recorded as the storage latency.
/// </summary>
public sealed class StorageHealthCheck(IStorageDriver driver, HealthMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var path = StorageLayout.Scratch(Guid.NewGuid());
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using (var writer = await driver.OpenAppendAsync(path, cancellationToken))
            {
                await writer.WriteAsync("wharf readiness probe"u8.ToArray(), cancellationToken);
                await writer.CommitAsync(cancellationToken);
            }
            await driver.DeleteAsync(path, cancellationToken);
            metrics.Storage(Stopwatch.GetElapsedTime(started));
            return HealthCheckResult.Healthy($"{driver.Name} storage writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{driver.Name} storage not writable: {e.Message}");
        }
    }
}
