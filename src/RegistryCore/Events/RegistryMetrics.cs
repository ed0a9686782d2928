using System.Diagnostics.Metrics;

namespace Wharf.Registry.Events;

/// <summary>The registry's counters, on the "Wharf.Registry" meter.</summary>
public sealed class RegistryMetrics
{
    public const string MeterName = "Wharf.Registry";

    private readonly Counter<long> _events;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;

    public RegistryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _events = meter.CreateCounter<long>("wharf.registry.events", description: "Registry events by kind");
        _bytesIn = meter.CreateCounter<long>("wharf.registry.bytes_received", "By", "Blob bytes received from clients");
        _bytesOut = meter.CreateCounter<long>("wharf.registry.bytes_sent", "By", "Blob bytes served to clients");
    }

    public void Record(RegistryEvent e) => _events.Add(1, new KeyValuePair<string, object?>("kind", e.Kind.ToString()));

    public void BytesReceived(long bytes) => _bytesIn.Add(bytes);

    public void BytesSent(long bytes) => _bytesOut.Add(bytes);
}
