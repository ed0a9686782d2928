using Wharf.Registry.Configuration;
using Wharf.Registry.Proxy;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

public sealed class UpstreamDefinitionTests
{
    private static UpstreamDefinition Create(string? name = "hub", string? prefix = "hub/", string? url = "https://registry-1.docker.io/",
        string? username = null, string? password = null, TimeSpan? ttl = null) =>
        UpstreamDefinition.Create("Wharf:Upstreams:0", name, prefix, url, username, password, ttl, false);

    [Fact]
    public void Normalises_prefix_and_url_and_defaults_the_ttl_to_a_week()
    {
        var upstream = Create();
        Assert.Equal("hub", upstream.Prefix);
        Assert.Equal(new Uri("https://registry-1.docker.io/"), upstream.Url);
        Assert.Equal(TimeSpan.FromHours(168), upstream.Ttl);
        Assert.False(upstream.HasCredentials);
        Assert.True(upstream.IsDockerHub);
    }

    [Theory]
    [InlineData("", "hub", "https://r.example", "Name")]
    [InlineData("has space", "hub", "https://r.example", "Name")]
    [InlineData("hub", "Hub", "https://r.example", "Prefix 'Hub'")]
    [InlineData("hub", "a//b", "https://r.example", "Prefix")]
    [InlineData("hub", "hub", "ftp://r.example", "Url 'ftp://r.example'")]
    [InlineData("hub", "hub", "r.example", "Url")]
    [InlineData("hub", "hub", "https://user:pw@r.example", "must not contain credentials")]
    [InlineData("hub", "hub", "https://r.example/v2/", "registry's root")]
    public void Rejects_what_cannot_work_with_a_message_naming_the_setting(string name, string prefix, string url, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Create(name, prefix, url));
        Assert.StartsWith("Wharf:Upstreams:0: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("pw", e.Message.Replace("credentials", ""));
    }

    [Fact]
    public void Needs_both_username_and_password_and_a_non_negative_ttl()
    {
        Assert.Contains("Username and Password", Assert.Throws<InvalidDataException>(() => Create(username: "u")).Message);
        Assert.Contains("Ttl", Assert.Throws<InvalidDataException>(() => Create(ttl: TimeSpan.FromSeconds(-1))).Message);
        Assert.Equal(TimeSpan.Zero, Create(ttl: TimeSpan.Zero).Ttl);
    }

    [Fact]
    public void ToString_never_shows_the_password()
    {
        var upstream = Create(username: "robot", password: "s3cr3t-value");
        Assert.DoesNotContain("s3cr3t-value", upstream.ToString());
        Assert.Contains("hub/", upstream.ToString());
        var settings = new UpstreamSettings { Name = "hub", Prefix = "hub", Url = "https://r", Username = "robot", Password = "s3cr3t-value" };
        Assert.DoesNotContain("s3cr3t-value", settings.ToString());
    }

    [Theory]
    [InlineData("https://registry-1.docker.io", "docker.io", true)]
    [InlineData("https://registry-1.docker.io", "registry-1.docker.io", true)]
    [InlineData("https://ghcr.io", "ghcr.io", true)]
    [InlineData("http://127.0.0.1:5001", "127.0.0.1:5001", true)]
    [InlineData("https://ghcr.io", "docker.io", false)]
    [InlineData("https://registry.example:8443", "registry.example:9443", false)]
    public void Containerd_ns_matches_the_upstream_host(string url, string ns, bool matches) =>
        Assert.Equal(matches, Create(url: url).MatchesHost(ns));
}
