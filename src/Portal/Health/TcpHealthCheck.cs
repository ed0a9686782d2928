using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Wharf.Portal.Health;

/// <summary>distribution's <c>health.tcp</c>: a TCP connection to <c>host:port</c> opens within the timeout (and is closed at once).</summary>
public sealed class TcpHealthCheck(string host, int port, TimeSpan timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, deadline.Token);
            return HealthCheckResult.Healthy($"{host}:{port} accepts connections");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{host}:{port} did not accept a connection within {timeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            return HealthCheckResult.Unhealthy($"{host}:{port} refused: {e.SocketErrorCode}");
        }
    }
}
