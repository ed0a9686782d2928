using System.Diagnostics.Metrics;
using Wharf.Registry.Events;

namespace Wharf.Portal.Health;

/// <summary>How long the readiness probes of the database and the store take: their latency as /metrics shows it.</summary>
public sealed class HealthMetrics
{
    private readonly Histogram<double> _database;
    private readonly Histogram<double> _storage;

    public HealthMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(RegistryMetrics.MeterName);
        _database = meter.CreateHistogram<double>("wharf.database.probe.duration", "s", "Time the database readiness query took");
        _storage = meter.CreateHistogram<double>("wharf.storage.probe.duration", "s", "Time the storage write-and-delete probe took");
    }

    public void Database(TimeSpan elapsed) => _database.Record(elapsed.TotalSeconds);

    public void Storage(TimeSpan elapsed) => _storage.Record(elapsed.TotalSeconds);
}
