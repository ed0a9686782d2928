using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// distribution's deployment guide with a real Docker engine: nginx terminates TLS and proxies only
/// <c>location /v2/</c> to Wharf; <c>docker login</c>, push and pull go through it, with the certificate trusted the
/// documented way (<c>/etc/docker/certs.d/host:port/ca.crt</c>). Everything runs in a private network namespace.
/// </summary>
public sealed class DockerFrontTests
{
    private static string NginxConfig(string dir, string address, int wharfPort) => $$"""
        daemon off;
        pid {{dir}}/nginx.pid;
        error_log {{dir}}/nginx-error.log;
        events {}
        http {
          access_log {{dir}}/nginx-access.log;
          client_body_temp_path {{dir}}/body;
          proxy_temp_path {{dir}}/proxy;
          upstream wharf { server 127.0.0.1:{{wharfPort}}; }
          server {
            listen {{address}}:8443 ssl;
            ssl_certificate {{dir}}/server.pem;
            ssl_certificate_key {{dir}}/server.key;
            client_max_body_size 0;
            chunked_transfer_encoding on;
            location /v2/ {
              proxy_pass http://wharf;
              proxy_set_header Host $http_host;
              proxy_set_header X-Real-IP $remote_addr;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              proxy_set_header X-Forwarded-Proto $scheme;
              proxy_read_timeout 900;
              proxy_request_buffering off;
            }
          }
        }
        """;

    [Theory]
    [InlineData("htpasswd")]
    [InlineData("token")]
    public async Task Docker_logs_in_pushes_and_pulls_through_an_nginx_front_that_proxies_only_v2(string auth)
    {
        ExternalTool.Require("nginx");
        await using var docker = await DockerDaemon.StartAsync();
        using var dir = new TempDirectory();
        var front = $"{docker.Address}:8443";
        var openssl = await ExternalTool.RunAsync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=" + docker.Address, "-addext", "subjectAltName=IP:" + docker.Address, "-keyout", dir.Combine("server.key"), "-out", dir.Combine("server.pem")]);
        Assert.True(openssl.ExitCode == 0, openssl.All);
        docker.TrustCertificate(front, dir.Combine("server.pem"));

        var (user, password) = auth == "htpasswd" ? ("ci", "ci-password-1") : (WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword);
        var wharfPort = Ports.Free();
        var config = dir.Combine("config.yml");
        var authSection = "";
        if (auth == "htpasswd")
        {
            var line = await ExternalTool.RunAsync("htpasswd", ["-Bbn", user, password]);
            await File.WriteAllTextAsync(dir.Combine("htpasswd"), line.Output);
            authSection = $"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {dir.Combine("htpasswd")}\n";
        }
        // http.host: the realm and Locations are the front's URL, whatever Host and scheme reach Wharf.
        await File.WriteAllTextAsync(config, $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {dir.Combine("data")}\nhttp:\n  addr: 127.0.0.1:{wharfPort}\n  host: https://{front}\n{authSection}");
        await using var wharf = new WharfProcess(dir.Combine("data"), configFile: config, port: wharfPort) { NetworkNamespace = docker.Namespace };
        await wharf.StartAsync();
        await File.WriteAllTextAsync(dir.Combine("nginx.conf"), NginxConfig(dir.Path, docker.Address, wharfPort));
        docker.Start("nginx", "-c", dir.Combine("nginx.conf"), "-p", dir.Path);

        // A one-file image, made without pulling anything.
        Directory.CreateDirectory(dir.Combine("img"));
        await File.WriteAllTextAsync(dir.Combine("img", "hello.txt"), "hello from " + auth);
        Assert.Equal(0, (await ExternalTool.RunAsync("tar", ["-C", dir.Combine("img"), "-cf", dir.Combine("img.tar"), "."])).ExitCode);
        var image = $"{front}/team/hello:{auth}";
        await docker.DockerOkAsync("import", dir.Combine("img.tar"), image);

        // nginx may still be starting: docker login is retried for a while.
        ExternalTool.Result login = null!;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            login = await docker.DockerAsync("login", "-u", user, "-p", password, front);
            if (login.ExitCode == 0 || !login.All.Contains("connection refused", StringComparison.OrdinalIgnoreCase) && !login.All.Contains("502")) break;
            await Task.Delay(200);
        }
        Assert.True(login.ExitCode == 0, login.All + "\n" + wharf.Log);
        var wrong = await docker.DockerAsync("login", "-u", user, "-p", "not-the-password", front);
        Assert.NotEqual(0, wrong.ExitCode);
        await docker.DockerOkAsync("login", "-u", user, "-p", password, front);

        var push = await docker.DockerOkAsync("push", image);
        Assert.Contains("digest: sha256:", push);
        await docker.DockerOkAsync("rmi", image);
        var pull = await docker.DockerOkAsync("pull", image);
        Assert.Contains($"Downloaded newer image for {image}", pull);
        // Only /v2/ went through the front: the token endpoint is under it.
        Assert.DoesNotContain("\"GET /auth/token", await File.ReadAllTextAsync(dir.Combine("nginx-access.log")));
    }
}
