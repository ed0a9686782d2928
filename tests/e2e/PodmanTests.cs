using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>podman, a second real client: it pulls what skopeo pushed and pushes an image of its own.</summary>
public sealed class PodmanTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly string _runRoot = Path.Combine("/tmp", "pdm-" + Guid.NewGuid().ToString("N")[..8]);
    private WharfProcess _wharf = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("podman");
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"));
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _temp.Dispose();
        try { Directory.Delete(_runRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>podman with its own storage under the test's directory (vfs: no kernel overlay needed).</summary>
    private async Task<string> PodmanAsync(params string[] arguments)
    {
        // podman wants a short run root (its socket paths must fit), so that one lives directly under /tmp.
        string[] all = ["--root", _temp.Combine("podman", "storage"), "--runroot", _runRoot, "--storage-driver", "vfs", .. arguments];
        var result = await ExternalTool.RunAsync("podman", all);
        if (result.ExitCode != 0) throw new InvalidOperationException($"podman {string.Join(' ', arguments)} failed:\n{result.All}");
        return result.Output;
    }

    [Fact]
    public async Task Podman_pulls_and_pushes()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        var image = layout.AddImage("app", [(60, 200_000), (61, 100_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:app", $"docker://{_wharf.HostPort}/team/app:1.0");

        var creds = $"{_wharf.AdminUser}:{_wharf.AdminPassword}";
        await PodmanAsync("pull", "--tls-verify=false", "--creds", creds, $"{_wharf.HostPort}/team/app:1.0");
        var pulledId = (await PodmanAsync("image", "inspect", "--format", "{{.Id}}", $"{_wharf.HostPort}/team/app:1.0")).Trim();
        // An image's ID is its config digest: podman has the very image skopeo pushed.
        Assert.Equal(image.Config.Digest["sha256:".Length..], pulledId);

        await PodmanAsync("tag", $"{_wharf.HostPort}/team/app:1.0", $"{_wharf.HostPort}/team/from-podman:2");
        await PodmanAsync("push", "--tls-verify=false", "--creds", creds, $"{_wharf.HostPort}/team/from-podman:2");

        var inspected = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--config", $"docker://{_wharf.HostPort}/team/from-podman:2");
        using var config = JsonDocument.Parse(inspected);
        Assert.Equal("amd64", config.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(2, config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
        using var http = new RegistryHttp(_wharf.HostPort);
        Assert.Equal(["2"], await http.TagsAsync("team/from-podman"));
    }
}
