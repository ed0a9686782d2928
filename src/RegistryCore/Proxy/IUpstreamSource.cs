using Microsoft.Extensions.Primitives;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Where upstream definitions come from. The engine registers one for the configuration (distribution's
/// <c>proxy</c> section and <c>Wharf:Upstreams</c>); the host may add others (the portal's editor) by registering
/// more implementations. <see cref="UpstreamCatalog"/> merges them all and rebuilds when one signals a change.
/// </summary>
public interface IUpstreamSource
{
    /// <summary>The upstreams this source defines now. Called when the catalog is built, not on every request.</summary>
    IReadOnlyList<UpstreamDefinition> GetUpstreams();

    /// <summary>Fires when the definitions change; a fixed source returns <see cref="NullChangeToken.Singleton"/>.</summary>
    IChangeToken GetChangeToken();
}
