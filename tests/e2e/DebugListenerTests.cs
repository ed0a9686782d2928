using System.Net;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// distribution's debug server (<c>http.debug.addr</c> with <c>http.debug.prometheus</c>): /debug/health and the
/// metrics on their own port, nothing else there; a <c>health.file</c> turns both /debug/health and /readyz unhealthy.
/// </summary>
public sealed class DebugListenerTests
{
    [Fact]
    public async Task The_debug_port_serves_health_and_metrics_and_health_file_takes_the_instance_out()
    {
        using var dir = new TempDirectory();
        var debugPort = Ports.Free();
        var marker = dir.Combine("out-of-rotation");
        var config = dir.Combine("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {dir.Combine("data")}
            http:
              debug:
                addr: 127.0.0.1:{debugPort}
                prometheus:
                  enabled: true
                  path: /metrics
            health:
              file:
                - file: {marker}
                  interval: 1h
            """);
        await using var wharf = new WharfProcess(dir.Combine("data"), configFile: config);
        await wharf.StartAsync();
        using var http = new HttpClient();
        var debug = $"http://127.0.0.1:{debugPort}";

        using (var health = await http.GetAsync($"{debug}/debug/health")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using (var metrics = await http.GetAsync($"{debug}/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("# TYPE", await metrics.Content.ReadAsStringAsync());
        }
        using (var api = await http.GetAsync($"{debug}/v2/")) Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);

        // Before the first poll (one interval after start) every request checks the file itself.
        await File.WriteAllTextAsync(marker, "maintenance");
        using (var down = await http.GetAsync($"{debug}/debug/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Contains("exists", await down.Content.ReadAsStringAsync());
        }
        using (var notReady = await http.GetAsync($"{wharf.BaseUrl}/readyz")) Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        File.Delete(marker);
        using (var back = await http.GetAsync($"{wharf.BaseUrl}/readyz")) Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }
}
