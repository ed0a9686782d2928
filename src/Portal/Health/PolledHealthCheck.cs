using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Wharf.Portal.Health;

/// <summary>
/// distribution's periodic checks (<c>health.storagedriver</c>, <c>health.file</c>): the inner check runs every
/// <c>interval</c>, and the state turns unhealthy once <c>threshold</c> runs in a row have failed (one success heals
/// it). The first run is one interval after the first request, as distribution's periodic checkers start; until
/// then every request runs the inner check on demand (without counting it toward the threshold).
/// </summary>
public sealed class PolledHealthCheck(IHealthCheck inner, TimeSpan interval, int threshold, TimeProvider time) : IHealthCheck, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private HealthCheckResult? _last;
    private int _failures;
    private ITimer? _timer;

    public TimeSpan Interval => interval;

    public void Start() => _timer ??= time.CreateTimer(_ => _ = RunAsync(), null, interval, interval);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Start();
        lock (_lock) if (_last is { } last) return last;
        return await inner.CheckHealthAsync(context, cancellationToken);
    }

    /// <summary>One run; public so tests can drive it without waiting for the timer.</summary>
    public async Task RunAsync()
    {
        HealthCheckResult result;
        try
        {
            result = await inner.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("polled", inner, null, null) });
        }
        catch (Exception e)
        {
            result = HealthCheckResult.Unhealthy(e.Message);
        }
        lock (_lock)
        {
            _failures = result.Status == HealthStatus.Healthy ? 0 : _failures + 1;
            _last = result.Status == HealthStatus.Healthy || _failures >= threshold
                ? result
                : HealthCheckResult.Healthy($"{_failures} of {threshold} failures before unhealthy; last: {result.Description}");
        }
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;
}
