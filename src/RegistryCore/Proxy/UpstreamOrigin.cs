namespace Wharf.Registry.Proxy;

/// <summary>
/// The one rule for where an upstream's credentials may go: its own origin — scheme, host and port, as browsers
/// define it. A different port or a downgrade from HTTPS is another origin.
/// </summary>
public static class UpstreamOrigin
{
    public static bool Same(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
