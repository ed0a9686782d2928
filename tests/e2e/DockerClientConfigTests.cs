using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// docs/clients.md's Docker settings that the mirror and front tests do not cover: <c>insecure-registries</c> for a
/// plain-HTTP Wharf on an address dockerd does not trust by itself, and <c>certs.d</c> with <c>client.cert</c> and
/// <c>client.key</c> for a Wharf that demands client certificates (<c>http.tls.clientcas</c>). Each daemon runs in a
/// private network namespace whose extra address is not loopback, so dockerd applies its real TLS rules.
/// </summary>
public sealed class DockerClientConfigTests
{
    private static async Task OpenSslAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("openssl", arguments);
        Assert.True(result.ExitCode == 0, result.All);
    }

    /// <summary>Imports a one-file image as <paramref name="image"/>, logs in, pushes, removes it and pulls it back.</summary>
    private static async Task PushAndPullAsync(DockerDaemon docker, TempDirectory dir, string registry, string image)
    {
        Directory.CreateDirectory(dir.Combine("img"));
        await File.WriteAllTextAsync(dir.Combine("img", "hello.txt"), "hello " + image);
        Assert.Equal(0, (await ExternalTool.RunAsync("tar", ["-C", dir.Combine("img"), "-cf", dir.Combine("img.tar"), "."])).ExitCode);
        await docker.DockerOkAsync("import", dir.Combine("img.tar"), image);
        await docker.DockerOkAsync("login", "-u", WharfProcess.DefaultAdminUser, "-p", WharfProcess.DefaultAdminPassword, registry);
        Assert.Contains("digest: sha256:", await docker.DockerOkAsync("push", image));
        await docker.DockerOkAsync("rmi", image);
        Assert.Contains($"Downloaded newer image for {image}", await docker.DockerOkAsync("pull", image));
    }

    [Fact]
    public async Task Insecure_registries_lets_docker_push_and_pull_over_plain_http()
    {
        var port = Ports.Free();
        await using var docker = await DockerDaemon.StartAsync(address => $$"""{ "insecure-registries": ["{{address}}:{{port}}"] }""");
        using var dir = new TempDirectory();
        var registry = $"{docker.Address}:{port}";
        await using var wharf = new WharfProcess(dir.Combine("data"), new Dictionary<string, string> { ["REGISTRY_HTTP_ADDR"] = registry }, port: port)
        {
            NetworkNamespace = docker.Namespace,
        };
        await wharf.StartAsync();
        await PushAndPullAsync(docker, dir, registry, $"{registry}/team/plain:1");
    }

    [Fact]
    public async Task Certs_d_with_a_client_certificate_opens_a_registry_that_demands_one()
    {
        var port = Ports.Free();
        await using var docker = await DockerDaemon.StartAsync();
        using var dir = new TempDirectory();
        string F(string name) => dir.Combine(name);
        var registry = $"{docker.Address}:{port}";
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
            "-keyout", F("ca.key"), "-out", F("ca.pem"));
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + docker.Address,
            "-addext", "subjectAltName=IP:" + docker.Address, "-keyout", F("server.key"), "-out", F("server.pem"));
        await File.WriteAllTextAsync(F("client.ext"), "extendedKeyUsage=clientAuth\n");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=docker", "-keyout", F("client.key"), "-out", F("client.csr"));
        await OpenSslAsync("x509", "-req", "-in", F("client.csr"), "-CA", F("ca.pem"), "-CAkey", F("ca.key"), "-CAcreateserial", "-days", "2",
            "-extfile", F("client.ext"), "-out", F("client.pem"));

        await using var wharf = new WharfProcess(F("data"), new Dictionary<string, string>
        {
            ["REGISTRY_HTTP_ADDR"] = registry,
            ["REGISTRY_HTTP_TLS_CERTIFICATE"] = F("server.pem"),
            ["REGISTRY_HTTP_TLS_KEY"] = F("server.key"),
            ["REGISTRY_HTTP_TLS_CLIENTCAS_0"] = F("ca.pem"),
        }, port: port) { NetworkNamespace = docker.Namespace };
        await wharf.StartAsync();

        // The server's CA only: the TLS handshake fails without a client certificate.
        docker.TrustCertificate(registry, F("server.pem"));
        var refused = await docker.DockerAsync("login", "-u", WharfProcess.DefaultAdminUser, "-p", WharfProcess.DefaultAdminPassword, registry);
        Assert.NotEqual(0, refused.ExitCode);

        // docs/clients.md: client.cert and client.key beside ca.crt (read on each connection, no restart).
        var certs = Path.Combine("/etc/docker/certs.d", registry);
        File.Copy(F("client.pem"), Path.Combine(certs, "client.cert"));
        File.Copy(F("client.key"), Path.Combine(certs, "client.key"));
        await PushAndPullAsync(docker, dir, registry, $"{registry}/team/mtls:1");
    }
}
