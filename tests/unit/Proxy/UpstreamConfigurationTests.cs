using Microsoft.Extensions.Configuration;
using Wharf.Registry.Configuration;
using Wharf.Registry.Proxy;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

public sealed class UpstreamConfigurationTests
{
    private static RegistryOptions Bind(Dictionary<string, string?> settings) =>
        RegistryConfiguration.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void Named_upstreams_and_the_proxy_section_become_definitions()
    {
        var options = Bind(new()
        {
            ["registry:proxy:remoteurl"] = "https://registry-1.docker.io",
            ["registry:proxy:ttl"] = "72h",
            ["Wharf:Proxy:AllowAnonymous"] = "true",
            ["Wharf:Upstreams:0:Name"] = "ghcr",
            ["Wharf:Upstreams:0:Prefix"] = "ghcr/",
            ["Wharf:Upstreams:0:Url"] = "https://ghcr.io",
            ["Wharf:Upstreams:1:Name"] = "corp",
            ["Wharf:Upstreams:1:Prefix"] = "corp",
            ["Wharf:Upstreams:1:Url"] = "https://registry.corp.example:8443",
            ["Wharf:Upstreams:1:Username"] = "robot",
            ["Wharf:Upstreams:1:Password"] = "pw",
            ["Wharf:Upstreams:1:Ttl"] = "1h30m",
            ["Wharf:Upstreams:1:AllowAnonymous"] = "false",
        });

        var upstreams = ConfiguredUpstreamSource.Read(options);
        Assert.Equal(["proxy", "ghcr", "corp"], upstreams.Select(u => u.Name));
        var proxy = upstreams[0];
        Assert.Equal("", proxy.Prefix);
        Assert.Equal(TimeSpan.FromHours(72), proxy.Ttl);
        Assert.True(proxy.AllowAnonymous);
        Assert.Equal("ghcr", upstreams[1].Prefix);
        var corp = upstreams[2];
        Assert.Equal(new Uri("https://registry.corp.example:8443/"), corp.Url);
        Assert.Equal(TimeSpan.FromMinutes(90), corp.Ttl);
        Assert.True(corp.RequiresCaller);
    }

    [Fact]
    public void A_bad_ttl_or_url_names_the_entry()
    {
        Assert.Contains("Wharf:Upstreams:0:Ttl", Assert.Throws<InvalidDataException>(() => Bind(new()
        {
            ["Wharf:Upstreams:0:Name"] = "x",
            ["Wharf:Upstreams:0:Ttl"] = "a week",
        })).Message);

        var options = Bind(new() { ["Wharf:Upstreams:3:Name"] = "x", ["Wharf:Upstreams:3:Prefix"] = "x", ["Wharf:Upstreams:3:Url"] = "nope" });
        Assert.StartsWith("Wharf:Upstreams:3: Url", Assert.Throws<InvalidDataException>(() => ConfiguredUpstreamSource.Read(options)).Message);
    }

    [Fact]
    public void Without_upstreams_there_is_nothing_to_proxy()
    {
        Assert.Empty(ConfiguredUpstreamSource.Read(Bind(new())));
    }
}
