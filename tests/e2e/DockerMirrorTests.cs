using System.Text;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// A real dockerd with <c>"registry-mirrors"</c> pointing at Wharf in its default configuration (authentication on),
/// whose <c>proxy.remoteurl</c> is a registry reached without credentials (distribution 2.8 here): official images
/// pull through the mirror anonymously, also when the daemon is logged in to Docker Hub (it sends those
/// credentials to its mirror). The daemon's network namespace has no way out, so a refused mirror would make the
/// pull fail instead of falling back to Docker Hub.
/// </summary>
public sealed class DockerMirrorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Docker_pulls_official_images_through_a_Wharf_mirror_in_the_default_configuration(bool loggedInToDockerHub)
    {
        ExternalTool.Require("docker-registry");
        using var dir = new TempDirectory();
        var upstreamPort = Ports.Free();
        var mirrorPort = Ports.Free();
        await using var docker = await DockerDaemon.StartAsync($$"""{ "registry-mirrors": ["http://127.0.0.1:{{mirrorPort}}"] }""");

        await File.WriteAllTextAsync(dir.Combine("upstream.yml"),
            $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {dir.Combine("upstream")}\nhttp:\n  addr: 127.0.0.1:{upstreamPort}\n");
        docker.Start("docker-registry", "serve", dir.Combine("upstream.yml"));
        // The registry:2.5 tutorial's file: a proxy section, no credentials.
        await File.WriteAllTextAsync(dir.Combine("mirror.yml"), $"""
            version: 0.1
            log:
              fields:
                service: registry
            storage:
              cache:
                blobdescriptor: inmemory
              filesystem:
                rootdirectory: {dir.Combine("mirror")}
            http:
              addr: 127.0.0.1:{mirrorPort}
              headers:
                X-Content-Type-Options: [nosniff]
            health:
              storagedriver:
                enabled: true
                interval: 10s
                threshold: 3
            proxy:
              remoteurl: http://127.0.0.1:{upstreamPort}
            """);
        await using var mirror = new WharfProcess(dir.Combine("mirror"), configFile: dir.Combine("mirror.yml"), port: mirrorPort) { NetworkNamespace = docker.Namespace };
        await mirror.StartAsync();

        // Put an official-looking image upstream (127.0.0.0/8 is an insecure registry for dockerd: plain HTTP is fine).
        Directory.CreateDirectory(dir.Combine("img"));
        await File.WriteAllTextAsync(dir.Combine("img", "hello.txt"), "through the mirror");
        Assert.Equal(0, (await ExternalTool.RunAsync("tar", ["-C", dir.Combine("img"), "-cf", dir.Combine("img.tar"), "."])).ExitCode);
        var upstreamImage = $"127.0.0.1:{upstreamPort}/library/hello:1";
        await docker.DockerOkAsync("import", dir.Combine("img.tar"), upstreamImage);
        ExternalTool.Result push = null!;
        for (var attempt = 0; attempt < 50 && (push = await docker.DockerAsync("push", upstreamImage)).ExitCode != 0; attempt++) await Task.Delay(200);
        Assert.True(push.ExitCode == 0, push.All);
        await docker.DockerOkAsync("rmi", upstreamImage);

        if (loggedInToDockerHub)
        {
            // What docker login to Docker Hub leaves behind; the daemon hands these credentials to its mirror.
            var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("hub-user:hub-password"));
            Directory.CreateDirectory(Path.Combine(docker.Directory, "client"));
            await File.WriteAllTextAsync(Path.Combine(docker.Directory, "client", "config.json"),
                $$"""{ "auths": { "https://index.docker.io/v1/": { "auth": "{{auth}}" } } }""");
        }

        var pull = await docker.DockerAsync("pull", "hello:1");
        Assert.True(pull.ExitCode == 0, pull.All + "\n" + mirror.Log);
        Assert.Contains("Downloaded newer image for hello:1", pull.Output);
        Assert.Contains("/v2/library/hello/manifests/", mirror.Log); // the pull came through the mirror
    }
}
