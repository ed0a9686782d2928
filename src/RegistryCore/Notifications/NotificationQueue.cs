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
/// per endpoint that wants the event), so neither a restart nor an endpoint that is down loses one. A change
/// (push, mount, delete) has its rows written in its own transaction (<see cref="IEventOutbox"/>, called by
/// <see cref="BlobLedger"/>): they exist if and only if the change committed. Events that change nothing (pulls)
/// are written when they are published, before the request finishes. <see cref="NotificationDispatcher"/> delivers
/// them. Delivery is at least once: every event has an id (the same for every endpoint and every retry) for
/// listeners to deduplicate on.
/// </summary>
public sealed partial class NotificationQueue : IRegistryEventSink, IEventOutbox
{
    /// <summary>Events whose rows went in with their change: their publication after the commit queues nothing more.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RegistryEvent, object> _staged = new();

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

    public StagedEvent? Stage(RegistryDbContext db, RegistryEvent registryEvent)
    {
        var rows = Rows(registryEvent, out var wanting);
        if (rows.Count == 0) return null;
        db.Set<PendingNotificationRecord>().AddRange(rows);
        _staged.AddOrUpdate(registryEvent, rows);
        return new StagedEvent(rows, () => Queued(wanting));
    }

    public void Publish(RegistryEvent registryEvent)
    {
        if (_staged.TryGetValue(registryEvent, out _)) return; // queued with its change
        var rows = Rows(registryEvent, out var wanting);
        if (rows.Count == 0) return;
        try
        {
            // Synchronously: the event is on disk before the client hears the answer.
            using var db = _contexts.CreateDbContext();
            db.Set<PendingNotificationRecord>().AddRange(rows);
            db.SaveChanges();
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            // A sink never fails the operation that raised the event; the loss is logged loudly.
            LogNotQueued(_logger, registryEvent.Kind, registryEvent.Repository, rows[0].EventId, e.Message);
            return;
        }
        Queued(wanting);
    }

    /// <summary>One row per endpoint that wants the event (none when no endpoint does), all with the same event id.</summary>
    private List<PendingNotificationRecord> Rows(RegistryEvent registryEvent, out List<NotificationEndpoint> wanting)
    {
        wanting = [];
        if (_endpoints.Count == 0 || NotificationEnvelope.Classify(registryEvent) is not var (action, mediaType)) return [];
        wanting = _endpoints.Where(e => e.Wants(action, mediaType)).ToList();
        if (wanting.Count == 0) return [];
        var id = Guid.NewGuid().ToString();
        var json = NotificationEnvelope.Serialize(NotificationEnvelope.Event(id, registryEvent, action, mediaType, Request(), _source, InstanceId));
        var now = DateTime.UtcNow;
        return wanting.Select(endpoint => new PendingNotificationRecord { Endpoint = endpoint.Name, EventId = id, Event = json, CreatedAt = now }).ToList();
    }

    private void Queued(List<NotificationEndpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification of {Kind} {Repository} (event {EventId}) could not be queued and is lost: {Message}")]
    private static partial void LogNotQueued(ILogger logger, RegistryEventKind kind, string repository, string eventId, string message);
}
