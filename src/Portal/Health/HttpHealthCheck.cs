using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Wharf.Portal.Health;

/// <summary>
/// distribution's <c>health.http</c>: a HEAD request to a service the registry depends on, healthy when it answers
/// with the expected status within the timeout.
/// </summary>
public sealed class HttpHealthCheck(IHttpClientFactory clients, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, int statusCode, TimeSpan timeout) : IHealthCheck
{
    public const string HttpClientName = "wharf-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Head, uri);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            return (int)response.StatusCode == statusCode
                ? HealthCheckResult.Healthy($"{uri} answered {statusCode}")
                : HealthCheckResult.Unhealthy($"{uri} answered {(int)response.StatusCode}, not {statusCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{uri} did not answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return HealthCheckResult.Unhealthy($"{uri} unreachable: {e.HttpRequestError}");
        }
    }
}
