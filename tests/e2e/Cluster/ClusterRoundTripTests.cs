using System.Net.Http.Headers;
using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// Three Wharf instances on one data directory and one PostgreSQL database, nginx in front as docs/cluster.md says:
/// skopeo and the Docker engine push through the front and pull back the same digests, and an upload session
/// started on one instance takes chunks on the others.
/// </summary>
public sealed class ClusterRoundTripTests(ClusterRoundTripTests.Fixture fixture, ITestOutputHelper output)
    : IClassFixture<ClusterRoundTripTests.Fixture>, IDisposable
{
    /// <summary>One cluster for the class: each test works in repositories of its own.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public WharfCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            ExternalTool.Require("skopeo");
            Cluster = await WharfCluster.StartAsync(3);
        }

        public async Task DisposeAsync()
        {
            if (Cluster is not null) await Cluster.DisposeAsync();
        }
    }

    private readonly TempDirectory _temp = new("wharf-cluster-client");
    private WharfCluster Cluster => fixture.Cluster;

    public void Dispose()
    {
        output.WriteLine(Cluster.Logs);
        _temp.Dispose();
    }

    private static string PulledManifestDigest(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layoutDirectory, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    [Fact]
    public async Task Skopeo_pushes_through_the_front_and_pulls_back_the_same_digests_from_every_instance()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        var image = layout.AddImage("app", [(900, 400_000), (901, 300_000), (902, 200_000)]);
        var (indexDigest, _) = layout.AddIndex("multi", [("amd64", [(903, 100_000)]), ("arm64", [(904, 100_000)])]);
        var front = Cluster.Front.HostPort;

        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:app", $"docker://{front}/team/app:1");
        await ExternalTool.SkopeoOkAsync("copy", "--all", "--dest-tls-verify=false", $"oci:{layout.Directory}:multi", $"docker://{front}/team/multi:1");

        var pulled = _temp.Combine("pulled-front");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{front}/team/app:1", $"oci:{pulled}:x");
        Assert.Equal(image.ManifestDigest, PulledManifestDigest(pulled));
        var pulledIndex = _temp.Combine("pulled-index");
        await ExternalTool.SkopeoOkAsync("copy", "--all", "--src-tls-verify=false", $"docker://{front}/team/multi:1", $"oci:{pulledIndex}:x");
        Assert.Equal(indexDigest, PulledManifestDigest(pulledIndex));

        // Every instance serves what went in through the front, byte for byte.
        foreach (var instance in Cluster.Instances)
        {
            using var http = new RegistryHttp(instance.HostPort);
            var (content, digest, _, status) = await http.ManifestAsync("team/app", "1");
            Assert.Equal(200, status);
            Assert.Equal(image.ManifestDigest, digest);
            Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(content));
            foreach (var layer in image.Layers)
            {
                using var blob = await http.Client.GetAsync($"/v2/team/app/blobs/{layer.Digest}");
                Assert.Equal(layer.Digest, RegistryHttp.Sha256(await blob.Content.ReadAsByteArrayAsync()));
            }
        }
        // Round-robin: the front spread the API (and token) requests over all three instances.
        var served = Cluster.Front.InstancesThatServed("/v2/").Distinct().Order().ToArray();
        Assert.Equal(Cluster.Instances.Select(i => i.HostPort).Order().ToArray(), served);
    }

    [Fact]
    public async Task The_Docker_engine_pushes_through_the_front_and_pulls_back_the_same_digest()
    {
        ExternalTool.Require("nginx");
        await using var docker = await DockerDaemon.StartAsync();
        // dockerd lives in a network namespace with only loopback: an nginx there forwards its loopback port (the
        // front's port number, so the token realm is the same address inside and out) to the front's Unix socket.
        var port = Cluster.Front.Port;
        var bridge = _temp.Combine("bridge");
        Directory.CreateDirectory(bridge);
        await File.WriteAllTextAsync(Path.Combine(bridge, "nginx.conf"), $$"""
            daemon off;
            pid {{bridge}}/nginx.pid;
            error_log {{bridge}}/error.log;
            events {}
            http {
              access_log off;
              client_body_temp_path {{bridge}}/body;
              proxy_temp_path {{bridge}}/proxy;
              server {
                listen 127.0.0.1:{{port}};
                client_max_body_size 0;
                proxy_request_buffering off;
                proxy_buffering off;
                proxy_http_version 1.1;
                location / { proxy_pass http://unix:{{Cluster.Front.Socket}}:; proxy_set_header Host $http_host; }
              }
            }
            """);
        docker.Start("nginx", "-c", Path.Combine(bridge, "nginx.conf"), "-p", bridge);

        var image = $"127.0.0.1:{port}/team/docker:1";
        Directory.CreateDirectory(_temp.Combine("rootfs"));
        await File.WriteAllTextAsync(_temp.Combine("rootfs", "hello.txt"), "hello from a cluster");
        await File.WriteAllBytesAsync(_temp.Combine("rootfs", "random.bin"), RandomBytes(3 << 20));
        Assert.Equal(0, (await ExternalTool.RunAsync("tar", ["-C", _temp.Combine("rootfs"), "-cf", _temp.Combine("rootfs.tar"), "."])).ExitCode);
        await docker.DockerOkAsync("import", _temp.Combine("rootfs.tar"), image);

        // The bridge may still be starting: login is retried while the connection is refused.
        ExternalTool.Result login = null!;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            login = await docker.DockerAsync("login", "-u", WharfProcess.DefaultAdminUser, "-p", WharfProcess.DefaultAdminPassword, $"127.0.0.1:{port}");
            if (login.ExitCode == 0 || !login.All.Contains("connection refused", StringComparison.OrdinalIgnoreCase) && !login.All.Contains("502")) break;
            await Task.Delay(200);
        }
        Assert.True(login.ExitCode == 0, login.All);

        var push = await docker.DockerOkAsync("push", image);
        var pushed = System.Text.RegularExpressions.Regex.Match(push, "digest: (sha256:[0-9a-f]{64})").Groups[1].Value;
        Assert.NotEmpty(pushed);
        await docker.DockerOkAsync("rmi", image);
        var pull = await docker.DockerOkAsync("pull", image);
        Assert.Contains($"Digest: {pushed}", pull);
        var repoDigests = await docker.DockerOkAsync("image", "inspect", "--format", "{{json .RepoDigests}}", image);
        Assert.Contains($"127.0.0.1:{port}/team/docker@{pushed}", repoDigests);

        foreach (var instance in Cluster.Instances)
        {
            using var http = new RegistryHttp(instance.HostPort);
            var (content, digest, _, status) = await http.ManifestAsync("team/docker", "1");
            Assert.Equal(200, status);
            Assert.Equal(pushed, digest);
            Assert.Equal(pushed, RegistryHttp.Sha256(content));
        }
    }

    [Fact]
    public async Task A_chunked_upload_whose_requests_land_on_three_instances_completes_with_the_right_digest()
    {
        var content = RandomBytes(6 * 1024 * 1024 + 4321);
        var digest = RegistryHttp.Sha256(content);
        var clients = Cluster.Instances.Select(i => new RegistryHttp(i.HostPort)).ToArray();
        try
        {
            const string repository = "team/chunked";
            var location = (await clients[0].StartUploadAsync(repository)).ToString();
            // PATCHes on the second, third and first instance, in order.
            var chunks = new[] { (0, 2_000_000), (2_000_000, 4_500_000), (4_500_000, content.Length - 777) };
            var patchers = new[] { clients[1], clients[2], clients[0] };
            for (var i = 0; i < chunks.Length; i++)
            {
                var (start, end) = chunks[i];
                using var chunk = new ByteArrayContent(content[start..end]);
                chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                chunk.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{end - 1}");
                using var patch = await patchers[i].Client.PatchAsync(location, chunk);
                Assert.Equal(202, (int)patch.StatusCode);
                Assert.Equal($"0-{end - 1}", patch.Headers.GetValues("Range").Single());
                location = patch.Headers.Location!.ToString();
            }
            // A chunk out of order is refused wherever it lands.
            using (var early = new ByteArrayContent(content[^100..]))
            {
                early.Headers.TryAddWithoutValidation("Content-Range", $"{content.Length - 100}-{content.Length - 1}");
                using var refused = await clients[1].Client.PatchAsync(location, early);
                Assert.Equal(416, (int)refused.StatusCode);
            }
            using (var status = await clients[2].Client.GetAsync(location))
            {
                Assert.Equal(204, (int)status.StatusCode);
                Assert.Equal($"0-{content.Length - 778}", status.Headers.GetValues("Range").Single());
            }

            using var last = new ByteArrayContent(content[^777..]);
            last.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            last.Headers.TryAddWithoutValidation("Content-Range", $"{content.Length - 777}-{content.Length - 1}");
            using var put = await clients[1].Client.PutAsync($"{location}{(location.Contains('?') ? '&' : '?')}digest={digest}", last);
            Assert.Equal(201, (int)put.StatusCode);
            Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());

            foreach (var client in clients)
            {
                using var blob = await client.Client.GetAsync($"/v2/{repository}/blobs/{digest}");
                Assert.Equal(200, (int)blob.StatusCode);
                Assert.Equal(digest, RegistryHttp.Sha256(await blob.Content.ReadAsByteArrayAsync()));
                using var gone = await client.Client.GetAsync(location);
                Assert.Equal(404, (int)gone.StatusCode);
            }
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
