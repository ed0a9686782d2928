using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// nginx in front of several Wharf instances, configured as docs/cluster.md says: round-robin for <c>/v2/</c> and
/// the token endpoint, <c>ip_hash</c> affinity with the WebSocket upgrade headers for the portal. It listens on a
/// loopback port and on a Unix socket (for clients in a network namespace, which reach it through a second nginx
/// there). Its access log names the instance that served each request.
/// </summary>
public sealed class ClusterFront : IAsyncDisposable
{
    private readonly Process _nginx;
    private readonly string _directory;

    private ClusterFront(Process nginx, string directory, int port)
    {
        _nginx = nginx;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Url => $"http://{HostPort}";
    public string Socket => Path.Combine(_directory, "front.sock");

    /// <summary>The configuration of docs/cluster.md's "nginx in front", without TLS (the tests speak plain HTTP on loopback).</summary>
    public static string Config(string directory, int port, IEnumerable<string> instances)
    {
        var servers = string.Join(' ', instances.Select(i => $"server {i};"));
        return $$"""
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/nginx-error.log;
            events {}
            http {
              log_format instance '$request_method $uri $status $upstream_addr';
              access_log {{directory}}/access.log instance;
              client_body_temp_path {{directory}}/body;
              proxy_temp_path {{directory}}/proxy;

              upstream wharf_api    { {{servers}} }
              upstream wharf_portal { ip_hash; {{servers}} }

              map $http_upgrade $connection_upgrade { default upgrade; '' close; }

              server {
                listen 127.0.0.1:{{port}};
                listen unix:{{directory}}/front.sock;

                client_max_body_size 0;
                proxy_request_buffering off;
                proxy_buffering off;
                proxy_read_timeout 900s;
                proxy_http_version 1.1;
                proxy_set_header Host              $http_host;
                proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;

                location /v2/        { proxy_pass http://wharf_api; }
                location /auth/token { proxy_pass http://wharf_api; }
                location / {
                  proxy_pass http://wharf_portal;
                  proxy_set_header Host              $http_host;
                  proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
                  proxy_set_header X-Forwarded-Proto $scheme;
                  proxy_set_header Upgrade           $http_upgrade;
                  proxy_set_header Connection        $connection_upgrade;
                }
              }
            }
            """;
    }

    public static async Task<ClusterFront> StartAsync(string directory, IEnumerable<string> instances)
    {
        ExternalTool.Require("nginx");
        Directory.CreateDirectory(directory);
        var port = Ports.Free();
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(directory, port, instances));
        var nginx = Process.Start(new ProcessStartInfo("nginx", ["-c", config, "-p", directory]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("nginx did not start");
        var front = new ClusterFront(nginx, directory, port);
        await Ports.WaitForHttpAsync($"{front.Url}/v2/", () => !nginx.HasExited, TimeSpan.FromSeconds(30));
        return front;
    }

    /// <summary>The instances (host:port) that served requests whose path starts with <paramref name="pathPrefix"/>.</summary>
    public IReadOnlyList<string> InstancesThatServed(string pathPrefix)
    {
        var log = Path.Combine(_directory, "access.log");
        if (!File.Exists(log)) return [];
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var served = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            if (parts.Length >= 4 && parts[1].StartsWith(pathPrefix, StringComparison.Ordinal))
                served.AddRange(parts[3].Split(", ")); // a retried request names each instance it tried
        }
        return served;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true);
        await _nginx.WaitForExitAsync();
        _nginx.Dispose();
    }
}
