using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// nginx on one loopback port in front of an upstream registry and its token service, the way a registry with its
/// own token service is usually published: the registry at <c>/v2/</c>, the token service at <c>/token</c>, one
/// origin. Wharf sends upstream credentials over plain HTTP only to the upstream's own origin, so a token flow over
/// plain HTTP needs the realm there.
/// </summary>
public sealed class SameOriginFront : IAsyncDisposable
{
    private readonly Process _nginx;

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    private SameOriginFront(Process nginx, int port)
    {
        _nginx = nginx;
        Port = port;
    }

    /// <summary>A free port for the front, known before the registry behind it is configured with its realm.</summary>
    public static int ReservePort() => Ports.Free();

    public static async Task<SameOriginFront> StartAsync(string directory, int port, string registryHostPort, int tokenPort)
    {
        ExternalTool.Require("nginx");
        Directory.CreateDirectory(directory);
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
                location /token { proxy_pass http://127.0.0.1:{{tokenPort}}; proxy_set_header Host $http_host; }
                location / { proxy_pass http://{{registryHostPort}}; proxy_set_header Host $http_host; proxy_buffering off; }
              }
            }
            """);
        var nginx = Process.Start(new ProcessStartInfo("nginx", ["-c", config, "-p", directory]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("nginx did not start");
        var front = new SameOriginFront(nginx, port);
        await Ports.WaitForHttpAsync($"{front.Url}/v2/", () => !nginx.HasExited, TimeSpan.FromSeconds(30));
        return front;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true);
        await _nginx.WaitForExitAsync();
        _nginx.Dispose();
    }
}
