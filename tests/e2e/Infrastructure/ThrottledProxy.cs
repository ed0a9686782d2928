using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// nginx in front of a registry, sending each response at a limited rate (<c>limit_rate</c>): a slow upstream, so
/// that concurrent requests for one blob really overlap with the fetch in flight.
/// </summary>
public sealed class ThrottledProxy : IAsyncDisposable
{
    private readonly Process _nginx;

    private ThrottledProxy(Process nginx, int port)
    {
        _nginx = nginx;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<ThrottledProxy> StartAsync(string directory, string registryHostPort, string bytesPerSecond)
    {
        ExternalTool.Require("nginx");
        Directory.CreateDirectory(directory);
        var port = Ports.Free();
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/nginx-error.log;
            events {}
            http {
              access_log off;
              client_body_temp_path {{directory}}/body;
              proxy_temp_path {{directory}}/proxy;
              client_max_body_size 0;
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://{{registryHostPort}};
                  proxy_set_header Host $http_host;
                  proxy_buffering off;
                  limit_rate {{bytesPerSecond}};
                }
              }
            }
            """);
        var nginx = Process.Start(new ProcessStartInfo("nginx", ["-c", config, "-p", directory]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("nginx did not start");
        var proxy = new ThrottledProxy(nginx, port);
        await Ports.WaitForHttpAsync($"{proxy.Url}/v2/", () => !nginx.HasExited, TimeSpan.FromSeconds(30));
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true);
        await _nginx.WaitForExitAsync();
        _nginx.Dispose();
    }
}
