using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Wharf.Portal.Health;

/// <summary>distribution's <c>health.file</c>: unhealthy while the file exists (create it to take an instance out of rotation).</summary>
public sealed class FileHealthCheck(string path) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(path) || Directory.Exists(path)
            ? HealthCheckResult.Unhealthy($"{path} exists")
            : HealthCheckResult.Healthy($"{path} absent"));
}
