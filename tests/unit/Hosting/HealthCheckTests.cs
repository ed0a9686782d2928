using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Health;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>
/// distribution's health.file, health.http and health.tcp in /readyz. Each check is polled; the tests run its
/// polls themselves (<see cref="PolledHealthCheck.RunAsync"/>) instead of waiting for the interval.
/// </summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task Health_file_makes_readyz_fail_while_the_file_exists()
    {
        var marker = Path.Combine(Path.GetTempPath(), "wharf-down-" + Guid.NewGuid().ToString("N"));
        await using var wharf = new RegistryTestHost { Settings = ["--registry:health:file:0:file=" + marker, "--registry:health:file:0:interval=1h"] };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();
        var check = wharf.Services.GetRequiredKeyedService<PolledHealthCheck>("file:" + marker);
        await check.RunAsync();
        using (var ready = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        await File.WriteAllTextAsync(marker, "maintenance");
        try
        {
            await check.RunAsync();
            using var down = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Contains("exists", await down.Content.ReadAsStringAsync());
        }
        finally
        {
            File.Delete(marker);
        }
        await check.RunAsync();
        using (var back = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Health_http_sends_HEAD_with_the_headers_and_fails_after_threshold_wrong_answers()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var status = 204;
        var seen = new List<string>();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch (Exception) { return; }
                lock (seen) seen.Add($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath} {context.Request.Headers["X-Probe"]}");
                context.Response.StatusCode = Volatile.Read(ref status);
                context.Response.Close();
            }
        });
        var uri = $"http://127.0.0.1:{port}/ping";
        await using var wharf = new RegistryTestHost
        {
            Settings =
            [
                "--registry:health:http:0:uri=" + uri, "--registry:health:http:0:statuscode=204",
                "--registry:health:http:0:headers:X-Probe:0=wharf", "--registry:health:http:0:interval=1h",
                "--registry:health:http:0:threshold=2", "--registry:health:http:0:timeout=5s",
            ],
        };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();
        var check = wharf.Services.GetRequiredKeyedService<PolledHealthCheck>("http:" + new Uri(uri));
        await check.RunAsync();
        using (var ready = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        lock (seen) Assert.Contains("HEAD /ping wharf", seen);

        Volatile.Write(ref status, 500);
        await check.RunAsync();
        using (var once = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, once.StatusCode);
        await check.RunAsync();
        using (var twice = await client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, twice.StatusCode);
            Assert.Contains("answered 500, not 204", await twice.Content.ReadAsStringAsync());
        }

        Volatile.Write(ref status, 204);
        await check.RunAsync();
        using (var back = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        listener.Stop();
    }

    [Fact]
    public async Task Health_tcp_fails_while_nothing_listens()
    {
        var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        var addr = $"127.0.0.1:{port}";
        await using var wharf = new RegistryTestHost { Settings = ["--registry:health:tcp:0:addr=" + addr, "--registry:health:tcp:0:interval=1h"] };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();
        var check = wharf.Services.GetRequiredKeyedService<PolledHealthCheck>("tcp:" + addr);
        try
        {
            await check.RunAsync();
            using var ready = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            server.Stop();
        }
        await check.RunAsync();
        using var down = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains($"{addr} refused", await down.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("--registry:health:http:0:uri=not-a-url", "health.http.0.uri")]
    [InlineData("--registry:health:tcp:0:addr=nohost", "health.tcp.0.addr")]
    [InlineData("--registry:health:tcp:0:addr=127.0.0.1:1|--registry:health:tcp:0:timeout=soon", "health.tcp.0.timeout")]
    public async Task Bad_health_settings_refuse_to_start(string settings, string key)
    {
        await using var wharf = new RegistryTestHost { Settings = settings.Split('|') };
        var error = await Assert.ThrowsAnyAsync<Exception>(wharf.InitializeAsync);
        Assert.Contains(key, error.ToString());
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
