using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// containerd with a <c>hosts.toml</c> mirror for docker.io pointing at a whole-namespace Wharf mirror (default
/// configuration): it sends <c>?ns=docker.io</c> although the mirror's upstream is another host, and Wharf answers
/// as registry:2 does. The hosts file names Wharf as the server too, so nothing can fall back to Docker Hub.
/// </summary>
public sealed class ContainerdMirrorTests
{
    [Fact]
    public async Task Containerd_fetches_docker_io_images_through_a_hosts_toml_mirror_with_ns()
    {
        ExternalTool.Require("containerd");
        ExternalTool.Require("ctr");
        using var temp = new TempDirectory();
        await using var upstream = await DistributionRegistry.StartAsync(temp.Combine("upstream-root"), temp.Path);
        var layout = new OciLayout(temp.Combine("layout"));
        var image = layout.AddImage("hello", [(7, 4096)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:hello", $"docker://{upstream.HostPort}/library/hello:1");

        var config = temp.Combine("config.yml");
        await File.WriteAllTextAsync(config,
            $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {temp.Combine("wharf")}\nproxy:\n  remoteurl: http://{upstream.HostPort}\n");
        await using var wharf = new WharfProcess(temp.Combine("wharf"), configFile: config);
        await wharf.StartAsync();

        var hosts = temp.Combine("hosts", "docker.io");
        Directory.CreateDirectory(hosts);
        await File.WriteAllTextAsync(Path.Combine(hosts, "hosts.toml"), $"""
            server = "http://{wharf.HostPort}"

            [host."http://{wharf.HostPort}"]
              capabilities = ["pull", "resolve"]
            """);
        var socket = temp.Combine("containerd.sock");
        await File.WriteAllTextAsync(temp.Combine("containerd.toml"), $"""
            version = 2
            root = "{temp.Combine("containerd-root")}"
            state = "{temp.Combine("containerd-state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{socket}"
            """);
        using var containerd = Process.Start(new ProcessStartInfo(ExternalTool.Require("containerd"))
        {
            ArgumentList = { "--config", temp.Combine("containerd.toml") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        containerd.OutputDataReceived += (_, _) => { };
        containerd.ErrorDataReceived += (_, _) => { };
        containerd.BeginOutputReadLine();
        containerd.BeginErrorReadLine();
        try
        {
            // containerd is ready once its API answers.
            for (var attempt = 0; (await ExternalTool.RunAsync("ctr", ["--address", socket, "version"])).ExitCode != 0; attempt++)
            {
                Assert.True(attempt < 300 && !containerd.HasExited, "containerd did not start");
                await Task.Delay(100);
            }
            var fetch = await ExternalTool.RunAsync("ctr", ["--address", socket, "content", "fetch", "--hosts-dir", temp.Combine("hosts"), "docker.io/library/hello:1"]);
            Assert.True(fetch.ExitCode == 0, fetch.All + "\n" + wharf.Log);
            var list = await ExternalTool.RunAsync("ctr", ["--address", socket, "content", "ls"]);
            Assert.Contains(image.ManifestDigest, list.Output);
            Assert.Contains(image.Layers[0].Digest, list.Output);
        }
        finally
        {
            containerd.Kill(entireProcessTree: true);
            await containerd.WaitForExitAsync();
        }
    }
}
