using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// The Docker engine on each storage driver: a real dockerd pushes a multi-layer image it built (FROM scratch, one
/// layer per COPY) and a two-platform index (<c>docker manifest create/push</c> over an amd64 image and an arm64 one
/// loaded from an archive), then, with its local images removed, pulls them back with the same digests, the index
/// for each platform. On S3 and Azure the blob GETs are redirected to the store and the daemon follows them.
/// </summary>
public abstract class DockerEngineStorageTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private DockerDaemon _docker = null!;

    /// <summary>The back-end section of <c>storage:</c>, indented for it.</summary>
    protected abstract Task<string> StorageYamlAsync(string directory);

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _docker = await DockerDaemon.StartOnHostNetworkAsync();
    }

    public async Task DisposeAsync()
    {
        await _docker.DisposeAsync();
        _temp.Dispose();
    }

    private static string DigestIn(string pullOrPushOutput) =>
        System.Text.RegularExpressions.Regex.Match(pullOrPushOutput, @"[Dd]igest: (sha256:[0-9a-f]{64})").Groups[1].Value;

    [Fact]
    public async Task Docker_pushes_and_pulls_a_multi_layer_image_and_a_two_platform_index_with_identical_digests()
    {
        var config = _temp.Combine("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            storage:
            {await StorageYamlAsync(_temp.Combine("data"))}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:5000
            """);
        await using var wharf = new WharfProcess(_temp.Combine("wharf"), new Dictionary<string, string> { ["Wharf__DataDirectory"] = _temp.Combine("state") }, configFile: config);
        await wharf.StartAsync();
        var registry = wharf.HostPort; // 127.0.0.0/8 is an insecure registry to dockerd: plain HTTP
        await _docker.DockerOkAsync("login", "-u", wharf.AdminUser, "-p", wharf.AdminPassword, registry);

        // A three-layer image, built without pulling anything.
        var context = _temp.Combine("context");
        Directory.CreateDirectory(context);
        var random = new Random(11);
        foreach (var (name, size) in new[] { ("big.bin", 7_000_000), ("small.bin", 300_000), ("note.txt", 40) })
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(context, name), bytes);
        }
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY big.bin /big.bin\nCOPY small.bin /small.bin\nCOPY note.txt /note.txt\n");
        var app = $"{registry}/team/app:1";
        var build = await ExternalTool.RunAsync("docker", ["build", "-q", "-t", app, context], TimeSpan.FromMinutes(5), new Dictionary<string, string>
        {
            ["DOCKER_HOST"] = "unix://" + _docker.Socket, ["DOCKER_CONFIG"] = _docker.Directory + "/client", ["DOCKER_BUILDKIT"] = "0",
        });
        Assert.True(build.ExitCode == 0, build.All);
        Assert.Equal("3", (await _docker.DockerOkAsync("image", "inspect", "--format", "{{len .RootFS.Layers}}", app)).Trim());
        var appDigest = DigestIn(await _docker.DockerOkAsync("push", app));
        Assert.NotEmpty(appDigest);

        // An arm64 image: docker import and build cannot set another architecture here, so it is made as an OCI
        // layout and loaded as a docker archive.
        var layout = new OciLayout(_temp.Combine("oci"));
        layout.AddImage("arm", [(31, 400_000), (32, 90_000)], architecture: "arm64");
        var archive = _temp.Combine("arm64.tar");
        await ExternalTool.SkopeoOkAsync("copy", $"oci:{layout.Directory}:arm", $"docker-archive:{archive}:{registry}/team/multi:arm64");
        await _docker.DockerOkAsync("load", "-i", archive);
        Assert.Equal("arm64", (await _docker.DockerOkAsync("image", "inspect", "--format", "{{.Architecture}}", $"{registry}/team/multi:arm64")).Trim());
        await _docker.DockerOkAsync("tag", app, $"{registry}/team/multi:amd64");
        var amd64Digest = DigestIn(await _docker.DockerOkAsync("push", $"{registry}/team/multi:amd64"));
        var arm64Digest = DigestIn(await _docker.DockerOkAsync("push", $"{registry}/team/multi:arm64"));
        Assert.Equal(appDigest, amd64Digest);

        var index = $"{registry}/team/multi:2";
        await _docker.DockerOkAsync("manifest", "create", "--insecure", index, $"{registry}/team/multi:amd64", $"{registry}/team/multi:arm64");
        var indexDigest = (await _docker.DockerOkAsync("manifest", "push", "--insecure", index)).Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("sha256:", indexDigest);
        // What Wharf serves is what Docker pushed, byte for byte.
        var served = (await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{index}")).Trim();
        Assert.Equal(indexDigest, served);
        var raw = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--raw", $"docker://{index}");
        Assert.Contains(amd64Digest, raw);
        Assert.Contains(arm64Digest, raw);

        // Nothing local any more: every byte comes back from Wharf (and, on object stores, from the store it redirects to).
        await _docker.DockerOkAsync("image", "rm", "-f", app, $"{registry}/team/multi:amd64", $"{registry}/team/multi:arm64");
        await _docker.DockerAsync("image", "prune", "-a", "-f");
        Assert.Equal("", (await _docker.DockerOkAsync("images", "-q")).Trim());

        Assert.Equal(appDigest, DigestIn(await _docker.DockerOkAsync("pull", app)));
        Assert.Equal("3", (await _docker.DockerOkAsync("image", "inspect", "--format", "{{len .RootFS.Layers}}", app)).Trim());
        Assert.Equal(indexDigest, DigestIn(await _docker.DockerOkAsync("pull", index)));
        Assert.Equal("amd64", (await _docker.DockerOkAsync("image", "inspect", "--format", "{{.Architecture}}", index)).Trim());
        await _docker.DockerOkAsync("image", "rm", "-f", index);
        Assert.Equal(indexDigest, DigestIn(await _docker.DockerOkAsync("pull", "--platform", "linux/arm64", index)));
        Assert.Equal("arm64", (await _docker.DockerOkAsync("image", "inspect", "--format", "{{.Architecture}}", index)).Trim());
        Assert.Equal(arm64Digest, DigestIn(await _docker.DockerOkAsync("pull", $"{registry}/team/multi:arm64")));
    }
}

public sealed class FileSystemDockerEngineTests : DockerEngineStorageTests
{
    protected override Task<string> StorageYamlAsync(string directory) => Task.FromResult($"""
          filesystem:
            rootdirectory: {directory}
        """);
}

public sealed class S3DockerEngineTests : DockerEngineStorageTests
{
    protected override async Task<string> StorageYamlAsync(string directory) => (await S3Store.StartAsync()).StorageYaml;
}

public sealed class AzureDockerEngineTests : DockerEngineStorageTests
{
    protected override async Task<string> StorageYamlAsync(string directory) => (await AzureStore.StartAsync()).StorageYaml;
}
