using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// distribution's <c>proxy</c> section: Wharf as a mirror of a whole registry, the way the classic tutorials set up a
/// Docker Hub mirror. Docker daemons ask a mirror for official images as <c>library/&lt;name&gt;</c>.
/// </summary>
public sealed class ProxyMirrorTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("wharf-mirror");
    private readonly List<IAsyncDisposable> _processes = [];
    private OciLayout _layout = null!;

    public Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _layout = new OciLayout(_temp.Combine("images"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        _temp.Dispose();
    }

    private static string PulledManifestDigest(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layoutDirectory, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    [Fact]
    public async Task REGISTRY_PROXY_variables_make_a_mirror_of_the_whole_namespace()
    {
        var upstream = await UpstreamRegistry.StartWithHtpasswdAsync(_temp.Combine("upstream"), "mirror-user", "Mirror-Pa55");
        _processes.Add(upstream);
        var image = _layout.AddImage("ubuntu", [(70, 250_000), (71, 60_000)]);
        await upstream.PushAsync(_layout, "ubuntu", "library/ubuntu:24.04");

        var wharf = await WharfProcess.StartAsync(_temp.Combine("wharf"), new Dictionary<string, string>
        {
            ["REGISTRY_PROXY_REMOTEURL"] = upstream.Url,
            ["REGISTRY_PROXY_USERNAME"] = "mirror-user",
            ["REGISTRY_PROXY_PASSWORD"] = "Mirror-Pa55",
            ["REGISTRY_PROXY_TTL"] = "72h",
            ["Wharf__Proxy__AllowAnonymous"] = "true",
            ["Wharf__Auth__Mode"] = "none",
        });
        _processes.Add(wharf);

        var pulled = _temp.Combine("pulled");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/library/ubuntu:24.04", $"oci:{pulled}:x");
        Assert.Equal(image.ManifestDigest, PulledManifestDigest(pulled));
        Assert.Equal(1, upstream.CountRequests("GET", $"/v2/library/ubuntu/blobs/{image.Layers[0].Digest}"));

        using var http = new RegistryHttp(wharf.HostPort);
        Assert.Equal(["library/ubuntu"], await http.CatalogAsync());

        // The whole namespace is the upstream's: nothing can be pushed.
        var push = await ExternalTool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:ubuntu", $"docker://{wharf.HostPort}/team/app:1");
        output.WriteLine(push.All);
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("pull-through cache of upstream 'proxy'", push.All);
    }

    [Fact]
    public async Task The_tutorial_config_yml_with_a_proxy_section_serves_library_images()
    {
        var upstream = await DistributionRegistry.StartAsync(_temp.Combine("upstream-root"), _temp.Path);
        _processes.Add(upstream);
        var image = _layout.AddImage("alpine", [(72, 180_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:alpine", $"docker://{upstream.HostPort}/library/alpine:latest");

        var root = _temp.Combine("wharf");
        var config = _temp.Combine("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {root}
            http:
              addr: :5000
            proxy:
              remoteurl: http://{upstream.HostPort}
            """);
        var wharf = new WharfProcess(root, new Dictionary<string, string> { ["Wharf__Auth__Mode"] = "none" }, configFile: config);
        _processes.Add(wharf);
        await wharf.StartAsync();

        var pulled = _temp.Combine("pulled");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/library/alpine:latest", $"oci:{pulled}:x");
        Assert.Equal(image.ManifestDigest, PulledManifestDigest(pulled));
        var byDigest = _temp.Combine("pulled-digest");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/library/alpine@{image.ManifestDigest}", $"oci:{byDigest}:x");
        Assert.Equal(image.ManifestDigest, PulledManifestDigest(byDigest));
    }
}
