namespace Wharf.Registry.Proxy;

/// <summary>
/// A blob read from an upstream fetch that failed (broke off, or did not verify). An <see cref="IOException"/>, as
/// stream readers expect, but its own type: its message is Wharf's own and may be shown to the client, unlike the
/// runtime's I/O messages, which name server paths.
/// </summary>
public sealed class UpstreamReadException(string message, Exception? inner = null) : IOException(message, inner);
