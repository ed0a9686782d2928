using Microsoft.Extensions.Logging;

namespace Wharf.Registry.Events;

/// <summary>The default sink: a structured log line per event, plus the counters in <see cref="RegistryMetrics"/>.</summary>
public sealed partial class LoggingEventSink(ILogger<LoggingEventSink> logger, RegistryMetrics metrics) : IRegistryEventSink
{
    public void Publish(RegistryEvent e)
    {
        metrics.Record(e);
        // Reads are many and change nothing: they go to the debug log; changes to the information log.
        if (e.Kind is RegistryEventKind.ManifestPulled or RegistryEventKind.CacheHit)
            LogRead(logger, e.Kind, e.Repository, e.Tag, e.Digest, e.Caller.User ?? "anonymous", e.Caller.Address);
        else
            LogChange(logger, e.Kind, e.Repository, e.Tag, e.Digest, e.Caller.User ?? "anonymous", e.Caller.Address);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Repository} tag={Tag} digest={Digest} by {User} from {Address}")]
    private static partial void LogChange(ILogger logger, RegistryEventKind kind, string repository, string? tag, string? digest, string user, string? address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {Repository} tag={Tag} digest={Digest} by {User} from {Address}")]
    private static partial void LogRead(ILogger logger, RegistryEventKind kind, string repository, string? tag, string? digest, string user, string? address);
}
