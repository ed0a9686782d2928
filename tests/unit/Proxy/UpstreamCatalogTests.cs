using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Wharf.Registry;
using Wharf.Registry.Api;
using Wharf.Registry.Proxy;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

public sealed class UpstreamCatalogTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    /// <summary>A source whose definitions a test can change, as the portal's editor will.</summary>
    private sealed class EditableSource(params UpstreamDefinition[] upstreams) : IUpstreamSource
    {
        private CancellationTokenSource _changed = new();
        public UpstreamDefinition[] Upstreams { get; private set; } = upstreams;
        public IReadOnlyList<UpstreamDefinition> GetUpstreams() => Upstreams;
        public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void Set(params UpstreamDefinition[] upstreams)
        {
            Upstreams = upstreams;
            var previous = _changed;
            _changed = new CancellationTokenSource();
            previous.Cancel();
        }
    }

    private static UpstreamDefinition Upstream(string name, string prefix, string url = "https://registry.example", string? password = null) =>
        UpstreamDefinition.Create(name, name, prefix, url, password is null ? null : "robot", password, null, false);

    private UpstreamCatalog Catalog(params IUpstreamSource[] sources) =>
        new(sources, new UpstreamHttp(), new UpstreamStatistics(_services.GetRequiredService<IMeterFactory>(), TimeProvider.System),
            TimeProvider.System, NullLoggerFactory.Instance);

    [Fact]
    public void Longest_prefix_wins_and_names_outside_every_prefix_are_private()
    {
        using var catalog = Catalog(new EditableSource(Upstream("hub", "hub", "https://registry-1.docker.io"), Upstream("mirrors", "hub/mirrors"),
            Upstream("ghcr", "ghcr", "https://ghcr.io")));

        var hub = catalog.Match("hub/library/nginx")!;
        Assert.Equal("hub", hub.Upstream.Name);
        Assert.Equal("library/nginx", hub.RemoteName);
        Assert.Equal("hub/library/nginx", hub.LocalName);
        Assert.Equal("mirrors", catalog.Match("hub/mirrors/x")!.Upstream.Name);
        Assert.Equal("owner/tool", catalog.Match("ghcr/owner/tool")!.RemoteName);
        Assert.Null(catalog.Match("team/app"));
        Assert.Null(catalog.Match("hub"));
        Assert.Null(catalog.Match("hubble/x"));
    }

    [Fact]
    public void Docker_Hub_names_of_one_component_are_official_images_under_library()
    {
        using var catalog = Catalog(new EditableSource(Upstream("hub", "hub", "https://registry-1.docker.io"), Upstream("other", "other")));
        Assert.Equal("library/nginx", catalog.Match("hub/nginx")!.RemoteName);
        Assert.Equal("nginx", catalog.Match("other/nginx")!.RemoteName);
    }

    [Fact]
    public void An_empty_prefix_mirrors_everything_not_under_a_named_prefix()
    {
        using var catalog = Catalog(new EditableSource(Upstream("proxy", "", "https://registry-1.docker.io"), Upstream("ghcr", "ghcr", "https://ghcr.io")));
        Assert.Equal("proxy", catalog.Match("library/ubuntu")!.Upstream.Name);
        Assert.Equal("library/ubuntu", catalog.Match("library/ubuntu")!.RemoteName);
        Assert.Equal("ghcr", catalog.Match("ghcr/a/b")!.Upstream.Name);
    }

    [Fact]
    public void Containerd_ns_moves_the_name_under_the_prefix_of_the_upstream_for_that_host()
    {
        using var catalog = Catalog(new EditableSource(Upstream("hub", "hub", "https://registry-1.docker.io"), Upstream("ghcr", "ghcr", "https://ghcr.io")));
        var route = new RegistryRoute(RouteKind.Manifest, "library/nginx", "1.27");

        var (routed, match) = catalog.Route(route, "docker.io");
        Assert.Equal("hub/library/nginx", routed.Name);
        Assert.Equal("library/nginx", match!.RemoteName);

        Assert.Equal("ghcr/owner/tool", catalog.Route(route with { Name = "owner/tool" }, "ghcr.io").Route.Name);
        // Already under a prefix, or no ns, or a host nobody mirrors: unchanged.
        Assert.Equal("hub/library/nginx", catalog.Route(route with { Name = "hub/library/nginx" }, "ghcr.io").Route.Name);
        Assert.Equal(("library/nginx", (UpstreamMatch?)null), (catalog.Route(route, null).Route.Name, catalog.Route(route, null).Match));
        Assert.Null(catalog.Route(route, "quay.io").Match);
    }

    [Fact]
    public void A_whole_namespace_mirror_answers_whatever_ns_names_as_registry_2_does()
    {
        using var catalog = Catalog(new EditableSource(Upstream("proxy", "", "https://mirror.example.com")));
        var route = new RegistryRoute(RouteKind.Manifest, "library/nginx", "1");
        foreach (var ns in new[] { "docker.io", "ghcr.io", "mirror.example.com" })
        {
            var (routed, match) = catalog.Route(route, ns);
            Assert.Equal("library/nginx", routed.Name);
            Assert.Equal("proxy", match?.Upstream.Name);
        }
    }

    [Fact]
    public void Conflicting_definitions_fail_with_a_clear_message()
    {
        Assert.Contains("share the prefix 'hub/'",
            Assert.Throws<InvalidDataException>(() => Catalog(new EditableSource(Upstream("a", "hub"), Upstream("b", "hub")))).Message);
        Assert.Contains("only one may",
            Assert.Throws<InvalidDataException>(() => Catalog(new EditableSource(Upstream("a", ""), Upstream("b", "")))).Message);
        Assert.Contains("'a' is defined 2 times",
            Assert.Throws<InvalidDataException>(() => Catalog(new EditableSource(Upstream("a", "x")), new EditableSource(Upstream("A", "y")))).Message);
    }

    [Fact]
    public void A_source_that_changes_rebuilds_the_catalog_and_keeps_the_client_of_an_unchanged_connection()
    {
        var source = new EditableSource(Upstream("hub", "hub", password: "one"));
        using var catalog = Catalog(source, new EditableSource(Upstream("ghcr", "ghcr")));
        var hubClient = catalog.Find("hub")!.Client;
        var ghcrClient = catalog.Find("ghcr")!.Client;

        source.Set(Upstream("hub", "dockerhub", password: "one"), Upstream("corp", "corp"));
        Assert.Null(catalog.Match("hub/x"));
        Assert.Equal("hub", catalog.Match("dockerhub/x")!.Upstream.Name);
        Assert.Same(hubClient, catalog.Find("hub")!.Client);
        Assert.Same(ghcrClient, catalog.Find("ghcr")!.Client);
        Assert.NotNull(catalog.Match("corp/y"));

        source.Set(Upstream("hub", "dockerhub", password: "two"));
        Assert.NotSame(hubClient, catalog.Find("hub")!.Client);

        // An invalid change is refused; the catalog keeps what it had.
        source.Set(Upstream("hub", "ghcr"));
        Assert.Equal("ghcr", catalog.Match("ghcr/z")!.Upstream.Name);
        Assert.Equal("hub", catalog.Match("dockerhub/x")!.Upstream.Name);
    }

    [Fact]
    public void Describe_leaves_passwords_out()
    {
        using var catalog = Catalog(new EditableSource(Upstream("corp", "corp", password: "very-secret")));
        var info = Assert.Single(catalog.Describe());
        Assert.Equal("robot", info.Username);
        Assert.True(info.HasPassword);
        Assert.DoesNotContain("very-secret", info.ToString());
    }
}
