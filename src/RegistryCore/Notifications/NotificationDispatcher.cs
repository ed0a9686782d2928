using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Notifications;

/// <summary>
/// Delivers the queued notifications, each endpoint on its own and in the order the events happened, up to
/// <see cref="BatchSize"/> events per POST. A failure (no answer within the endpoint's timeout, or a status other
/// than 2xx) is retried; after <c>threshold</c> failures in a row the endpoint is left alone for <c>backoff</c>
/// between attempts, as distribution does. Delivered rows are deleted; the endpoint's last success and last error
/// are recorded for the portal.
/// </summary>
public sealed partial class NotificationDispatcher(
    NotificationQueue queue, IDbContextFactory<RegistryDbContext> contexts, IHttpClientFactory clients, TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "notifications";
    public const int BatchSize = 20;
    /// <summary>How often an idle endpoint looks for rows another process queued.</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(queue.Endpoints.Select(e => RunAsync(e, stoppingToken)));

    private async Task RunAsync(NotificationEndpoint endpoint, CancellationToken stoppingToken)
    {
        try
        {
            await using (var db = await contexts.CreateDbContextAsync(stoppingToken))
                queue.SetPending(endpoint.Name, await db.Set<PendingNotificationRecord>().LongCountAsync(r => r.Endpoint == endpoint.Name, stoppingToken));
            var failures = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                List<PendingNotificationRecord> batch;
                await using (var db = await contexts.CreateDbContextAsync(stoppingToken))
                    batch = await db.Set<PendingNotificationRecord>().AsNoTracking().Where(r => r.Endpoint == endpoint.Name)
                        .OrderBy(r => r.Id).Take(BatchSize).ToListAsync(stoppingToken);
                if (batch.Count == 0)
                {
                    await queue.WaitAsync(endpoint.Name, IdlePoll, stoppingToken);
                    continue;
                }
                var error = await SendAsync(endpoint, batch, stoppingToken);
                failures = error is null ? 0 : failures + 1;
                await RecordAsync(endpoint, batch, error, failures, stoppingToken);
                if (error is not null && failures >= endpoint.Threshold)
                    await Task.Delay(endpoint.Backoff, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One POST; the error, or null when the endpoint took the events.</summary>
    private async Task<string?> SendAsync(NotificationEndpoint endpoint, List<PendingNotificationRecord> batch, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(endpoint.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(NotificationEnvelope.Body(batch.Select(r => r.Event))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(NotificationEnvelope.MediaType);
        foreach (var (name, values) in endpoint.Headers) request.Headers.TryAddWithoutValidation(name, values);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return $"no answer within {endpoint.Timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    private async Task RecordAsync(NotificationEndpoint endpoint, List<PendingNotificationRecord> batch, string? error, int failures, CancellationToken stoppingToken)
    {
        await using var db = await contexts.CreateDbContextAsync(stoppingToken);
        var state = await db.Set<NotificationEndpointRecord>().FindAsync([endpoint.Name], stoppingToken);
        if (state is null) db.Add(state = new NotificationEndpointRecord { Name = endpoint.Name });
        var ids = batch.Select(r => r.Id).ToList();
        if (error is null)
        {
            await db.Set<PendingNotificationRecord>().Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(stoppingToken);
            queue.Delivered(endpoint.Name, batch.Count);
            state.LastSuccessAt = time.GetUtcNow().UtcDateTime;
            state.ConsecutiveFailures = 0;
        }
        else
        {
            await db.Set<PendingNotificationRecord>().Where(r => ids.Contains(r.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Attempts, r => r.Attempts + 1), stoppingToken);
            state.LastError = error;
            state.LastErrorAt = time.GetUtcNow().UtcDateTime;
            state.ConsecutiveFailures = failures;
            if (failures == 1 || failures == endpoint.Threshold) LogFailing(logger, endpoint.Name, endpoint.DisplayUrl, error, failures);
        }
        await db.SaveChangesAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notifications to {Endpoint} ({Url}) failed: {Error} ({Failures} in a row); they stay queued and are retried")]
    private static partial void LogFailing(ILogger logger, string endpoint, string url, string error, int failures);
}
