using System.Diagnostics;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// nginx (Debian's) on a loopback port, serving a directory with sendfile and taking PUTs (the DAV module) into
/// another: what this machine can do for a static file and an upload, the ceiling the registries are held against.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private Process? _process;

    private NginxServer(string root, int port)
    {
        Root = root;
        Port = port;
    }

    /// <summary>The served directory: files put here are at <c>http://HostPort/NAME</c>.</summary>
    public string Root { get; }
    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";

    public static async Task<NginxServer> StartAsync(string workDirectory)
    {
        var nginx = ExternalTool.Require("nginx");
        var root = Path.Combine(workDirectory, "static");
        var uploads = Path.Combine(workDirectory, "uploads");
        var temp = Path.Combine(workDirectory, "temp");
        foreach (var dir in new[] { root, uploads, temp }) Directory.CreateDirectory(dir);
        var port = Ports.Free();
        var config = Path.Combine(workDirectory, "nginx.conf");
        // Running as root, nginx's workers would switch to 'nobody', who cannot read the bench's private temp directory.
        var user = Environment.UserName == "root" ? "user root;" : "";
        await File.WriteAllTextAsync(config, $$"""
            {{user}}
            worker_processes {{Environment.ProcessorCount}};
            daemon off;
            pid {{workDirectory}}/nginx.pid;
            error_log {{workDirectory}}/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_requests 1000000;
                default_type application/octet-stream;
                client_body_temp_path {{temp}};
                proxy_temp_path {{temp}};
                fastcgi_temp_path {{temp}};
                uwsgi_temp_path {{temp}};
                scgi_temp_path {{temp}};
                server {
                    listen 127.0.0.1:{{port}};
                    location / { root {{root}}; }
                    location /uploads/ {
                        root {{workDirectory}};
                        dav_methods PUT;
                        client_max_body_size 0;
                        create_full_put_path on;
                    }
                }
            }
            """);
        var info = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", config, "-p", workDirectory, "-e", Path.Combine(workDirectory, "error.log") }) info.ArgumentList.Add(argument);
        var server = new NginxServer(root, port) { _process = Process.Start(info)! };
        var process = server._process;
        await File.WriteAllTextAsync(Path.Combine(root, "ping"), "ok");
        await Ports.WaitForHttpAsync($"http://{server.HostPort}/ping", () => !process.HasExited, TimeSpan.FromSeconds(20));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            // The master process ends its own workers on SIGTERM; Kill(entireProcessTree) covers a hung master.
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
