using System.Diagnostics.Metrics;

namespace Wharf.Registry.Events;

/// <summary>The registry's counters, on the "Wharf.Registry" meter.</summary>
public sealed class RegistryMetrics
{
    public const string MeterName = "Wharf.Registry";

    private readonly Counter<long> _events;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _gcRuns;
    private readonly Counter<long> _gcBytesFreed;

    public RegistryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _events = meter.CreateCounter<long>("wharf.registry.events", description: "Registry events by kind");
        _bytesIn = meter.CreateCounter<long>("wharf.registry.bytes_received", "By", "Blob bytes received from clients");
        _bytesOut = meter.CreateCounter<long>("wharf.registry.bytes_sent", "By", "Blob bytes served to clients");
        _gcRuns = meter.CreateCounter<long>("wharf.gc.runs", description: "Garbage collection runs by outcome (previewed, collected, cancelled, failed)");
        _gcBytesFreed = meter.CreateCounter<long>("wharf.gc.bytes_freed", "By", "Bytes garbage collection deleted");
    }

    public void Record(RegistryEvent e)
    {
        _events.Add(1, new KeyValuePair<string, object?>("kind", e.Kind.ToString()));
        var outcome = e.Kind switch
        {
            RegistryEventKind.GarbageCollectionPreviewed => "previewed",
            RegistryEventKind.GarbageCollected => "collected",
            RegistryEventKind.GarbageCollectionCancelled => "cancelled",
            RegistryEventKind.GarbageCollectionFailed => "failed",
            _ => null,
        };
        if (outcome is null) return;
        _gcRuns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (e.Kind == RegistryEventKind.GarbageCollected && e.Size is { } freed && freed > 0) _gcBytesFreed.Add(freed);
    }

    public void BytesReceived(long bytes) => _bytesIn.Add(bytes);

    public void BytesSent(long bytes) => _bytesOut.Add(bytes);
}
