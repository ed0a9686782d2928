using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Notifications;

/// <summary>
/// The engine's events, turned into distribution's notifications and written to the registry database (one row
/// per endpoint that wants the event) before the request that raised them finishes, so neither a restart nor an
/// endpoint that is down loses one. <see cref="NotificationDispatcher"/> delivers them. Delivery is at least once:
/// every event has an id (the same for every endpoint and every retry) for listeners to deduplicate on.
/// </summary>
public sealed partial class NotificationQueue : IRegistryEventSink
{
    private readonly IReadOnlyList<NotificationEndpoint> _endpoints;
    private readonly IDbContextFactory<RegistryDbContext> _contexts;
    private readonly IHttpContextAccessor _http;
    private readonly ILogger<NotificationQueue> _logger;
    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);
    private readonly string _source = Environment.MachineName;

    /// <summary>This process's id in the events' <c>source.instanceID</c>.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString();

    /// <summary>The base URL of generated target URLs for a request (http.host, or the request's own); set by the host.</summary>
    public Func<HttpContext, string>? BaseUrl { get; set; }

    public NotificationQueue(IReadOnlyList<NotificationEndpoint> endpoints, IDbContextFactory<RegistryDbContext> contexts,
        IHttpContextAccessor http, IMeterFactory meterFactory, ILogger<NotificationQueue> logger)
    {
        _endpoints = endpoints;
        _contexts = contexts;
        _http = http;
        _logger = logger;
        foreach (var endpoint in endpoints) _signals[endpoint.Name] = new SemaphoreSlim(0);
        meterFactory.Create(RegistryMetrics.MeterName).CreateObservableGauge("wharf.notifications.pending",
            () => _pending.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("endpoint", p.Key))),
            description: "Notifications waiting for delivery, per endpoint");
    }

    public IReadOnlyList<NotificationEndpoint> Endpoints => _endpoints;

    public void Publish(RegistryEvent registryEvent)
    {
        if (_endpoints.Count == 0 || NotificationEnvelope.Classify(registryEvent) is not var (action, mediaType)) return;
        var wanting = _endpoints.Where(e => e.Wants(action, mediaType)).ToList();
        if (wanting.Count == 0) return;
        var id = Guid.NewGuid().ToString();
        var json = NotificationEnvelope.Serialize(NotificationEnvelope.Event(id, registryEvent, action, mediaType, Request(), _source, InstanceId));
        try
        {
            // Synchronously: the event is on disk before the client hears that its push succeeded.
            using var db = _contexts.CreateDbContext();
            foreach (var endpoint in wanting)
                db.Set<PendingNotificationRecord>().Add(new PendingNotificationRecord { Endpoint = endpoint.Name, EventId = id, Event = json, CreatedAt = DateTime.UtcNow });
            db.SaveChanges();
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            // A sink never fails the operation that raised the event; the loss is logged loudly.
            LogNotQueued(_logger, action, registryEvent.Repository, id, e.Message);
            return;
        }
        foreach (var endpoint in wanting)
        {
            _pending.AddOrUpdate(endpoint.Name, 1, (_, n) => n + 1);
            _signals[endpoint.Name].Release();
        }
    }

    /// <summary>Waits until something was queued for the endpoint, or the time is up.</summary>
    internal Task WaitAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken) =>
        _signals[endpoint].WaitAsync(timeout, cancellationToken);

    internal void SetPending(string endpoint, long count) => _pending[endpoint] = count;

    internal void Delivered(string endpoint, int count) => _pending.AddOrUpdate(endpoint, 0, (_, n) => Math.Max(0, n - count));

    private NotificationEnvelope.RequestInfo? Request()
    {
        if (_http.HttpContext is not { } context) return null;
        var baseUrl = BaseUrl?.Invoke(context) ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new NotificationEnvelope.RequestInfo(context.TraceIdentifier, context.Connection.RemoteIpAddress?.ToString(),
            context.Request.Host.ToString(), context.Request.Method, context.Request.Headers.UserAgent.ToString(), baseUrl);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification {Action} {Repository} (event {EventId}) could not be queued and is lost: {Message}")]
    private static partial void LogNotQueued(ILogger logger, string action, string repository, string eventId, string message);
}
