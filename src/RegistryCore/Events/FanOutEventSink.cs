namespace Wharf.Registry.Events;

/// <summary>Hands every event to several sinks in turn (the audit trail, notifications, …).</summary>
public sealed class FanOutEventSink(IReadOnlyList<IRegistryEventSink> sinks) : IRegistryEventSink
{
    public void Publish(RegistryEvent registryEvent)
    {
        foreach (var sink in sinks) sink.Publish(registryEvent);
    }
}
