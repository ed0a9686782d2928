using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Events;

/// <summary>
/// Gauges of what the registry holds (repositories, manifests, tags, blobs, blob bytes, open upload sessions), read
/// from the metadata database every <see cref="Period"/> rather than on every scrape, so a scraper cannot load the
/// database.
/// </summary>
public sealed partial class StoreGauges : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    private readonly IDbContextFactory<RegistryDbContext> _contexts;
    private readonly TimeProvider _time;
    private readonly ILogger<StoreGauges> _logger;
    private Snapshot? _snapshot;

    private sealed record Snapshot(long Repositories, long Manifests, long Tags, long Blobs, long BlobBytes, long UploadSessions);

    public StoreGauges(IDbContextFactory<RegistryDbContext> contexts, IMeterFactory meterFactory, TimeProvider time, ILogger<StoreGauges> logger)
    {
        _contexts = contexts;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(RegistryMetrics.MeterName);
        Gauge(meter, "wharf.registry.repositories", s => s.Repositories, null, "Repositories");
        Gauge(meter, "wharf.registry.manifests", s => s.Manifests, null, "Manifests stored");
        Gauge(meter, "wharf.registry.tags", s => s.Tags, null, "Tags");
        Gauge(meter, "wharf.registry.blobs", s => s.Blobs, null, "Blobs stored");
        Gauge(meter, "wharf.registry.blob_bytes", s => s.BlobBytes, "By", "Bytes of the blobs stored");
        Gauge(meter, "wharf.registry.upload_sessions", s => s.UploadSessions, null, "Upload sessions open");
    }

    private void Gauge(Meter meter, string name, Func<Snapshot, long> value, string? unit, string description) =>
        meter.CreateObservableGauge(name, () => _snapshot is { } s ? [new Measurement<long>(value(s))] : Array.Empty<Measurement<long>>(), unit, description);

    /// <summary>Reads the figures now.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        _snapshot = new Snapshot(
            await db.Repositories.LongCountAsync(cancellationToken),
            await db.Manifests.LongCountAsync(cancellationToken),
            await db.Tags.LongCountAsync(cancellationToken),
            await db.Blobs.LongCountAsync(cancellationToken),
            await db.Blobs.SumAsync(b => (long?)b.Size, cancellationToken) ?? 0,
            await db.UploadSessions.LongCountAsync(cancellationToken));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, _time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(_logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the store's figures for /metrics: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
