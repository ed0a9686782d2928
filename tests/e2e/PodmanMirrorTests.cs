using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// podman (and so CRI-O, Buildah and skopeo, which read the same file) with docs/clients.md's
/// <c>registries.conf</c>: a <c>[[registry.mirror]]</c> for docker.io pointing at a whole-namespace Wharf mirror in
/// its default configuration, pulled from anonymously.
/// </summary>
public sealed class PodmanMirrorTests
{
    [Fact]
    public async Task Podman_pulls_docker_io_images_through_a_registries_conf_mirror()
    {
        ExternalTool.Require("podman");
        ExternalTool.Require("skopeo");
        using var temp = new TempDirectory();
        var runRoot = Path.Combine("/tmp", "pdm-" + Guid.NewGuid().ToString("N")[..8]);
        await using var upstream = await DistributionRegistry.StartAsync(temp.Combine("upstream-root"), temp.Path);
        var layout = new OciLayout(temp.Combine("layout"));
        var image = layout.AddImage("hello", [(17, 150_000), (18, 20_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:hello", $"docker://{upstream.HostPort}/library/hello:1");

        var config = temp.Combine("config.yml");
        await File.WriteAllTextAsync(config,
            $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {temp.Combine("wharf")}\nproxy:\n  remoteurl: http://{upstream.HostPort}\n");
        await using var wharf = new WharfProcess(temp.Combine("wharf"), configFile: config);
        await wharf.StartAsync();

        // docs/clients.md's entry, except that the primary location is a closed loopback port instead of
        // registry-1.docker.io: the pull can only succeed through the mirror, never by falling back to Docker Hub.
        var registries = temp.Combine("registries.conf");
        await File.WriteAllTextAsync(registries, $"""
            [[registry]]
            prefix = "docker.io"
            location = "127.0.0.1:{Ports.Free()}"

            [[registry.mirror]]
            location = "{wharf.HostPort}"
            insecure = true
            """);
        // No credentials at all: the mirror serves anonymous pulls in Wharf's default configuration.
        await File.WriteAllTextAsync(temp.Combine("no-auth.json"), "{\"auths\":{}}");
        try
        {
            var pull = await ExternalTool.RunAsync("podman",
                ["--root", temp.Combine("podman"), "--runroot", runRoot, "--storage-driver", "vfs", "pull", "docker.io/library/hello:1"],
                environment: new Dictionary<string, string> { ["CONTAINERS_REGISTRIES_CONF"] = registries, ["REGISTRY_AUTH_FILE"] = temp.Combine("no-auth.json") });
            Assert.True(pull.ExitCode == 0, pull.All + "\n" + wharf.Log);
            var id = await ExternalTool.RunAsync("podman",
                ["--root", temp.Combine("podman"), "--runroot", runRoot, "--storage-driver", "vfs", "image", "inspect", "--format", "{{.Id}}", "docker.io/library/hello:1"]);
            // An image's ID is its config digest: podman has the very image of the upstream.
            Assert.Equal(image.Config.Digest["sha256:".Length..], id.Output.Trim());
            // And it came through Wharf, which now holds the manifest in its cache.
            Assert.Contains(Directory.EnumerateFiles(temp.Combine("wharf"), "data", SearchOption.AllDirectories),
                f => f.Contains(image.ManifestDigest["sha256:".Length..], StringComparison.Ordinal));
        }
        finally
        {
            try { Directory.Delete(runRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
