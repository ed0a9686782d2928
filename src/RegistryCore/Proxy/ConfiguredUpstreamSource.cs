using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Wharf.Registry.Configuration;

namespace Wharf.Registry.Proxy;

/// <summary>
/// The upstreams in the configuration: distribution's <c>proxy</c> section (<c>REGISTRY_PROXY_*</c>) as a mirror of
/// the whole namespace named "proxy", and every <c>Wharf:Upstreams:&lt;n&gt;</c> entry. Invalid entries fail the start.
/// </summary>
public sealed class ConfiguredUpstreamSource : IUpstreamSource
{
    private readonly IReadOnlyList<UpstreamDefinition> _upstreams;

    public ConfiguredUpstreamSource(IOptions<RegistryOptions> options)
    {
        _upstreams = Read(options.Value);
    }

    public IReadOnlyList<UpstreamDefinition> GetUpstreams() => _upstreams;

    public IChangeToken GetChangeToken() => NullChangeToken.Singleton;

    public static IReadOnlyList<UpstreamDefinition> Read(RegistryOptions options)
    {
        var upstreams = new List<UpstreamDefinition>();
        var proxy = options.Proxy;
        if (!string.IsNullOrWhiteSpace(proxy.RemoteUrl))
        {
            upstreams.Add(UpstreamDefinition.Create("proxy (REGISTRY_PROXY_*)", UpstreamDefinition.ProxySectionName, "", proxy.RemoteUrl,
                proxy.Username, proxy.Password, proxy.Ttl, proxy.AllowAnonymous));
        }
        foreach (var settings in options.Upstreams)
        {
            upstreams.Add(UpstreamDefinition.Create(settings.Source, settings.Name, settings.Prefix, settings.Url, settings.Username,
                settings.Password, settings.Ttl, settings.AllowAnonymous));
        }
        return upstreams;
    }
}
