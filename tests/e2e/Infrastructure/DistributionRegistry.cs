using System.Collections.Concurrent;
using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>Debian's docker-registry (distribution 2.8): the reference registry, run as a real process.</summary>
public sealed class DistributionRegistry : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    private DistributionRegistry(string rootDirectory, string configFile, int port)
    {
        RootDirectory = rootDirectory;
        ConfigFile = configFile;
        Port = port;
    }

    public string RootDirectory { get; }
    public string ConfigFile { get; }
    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Log => string.Join('\n', _log);
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>
    /// Writes a config.yml for a filesystem registry with deletes enabled and starts it. <paramref name="quiet"/> turns
    /// off its access log and info lines (the benchmarks: Wharf writes no line per request either).
    /// </summary>
    public static async Task<DistributionRegistry> StartAsync(string rootDirectory, string workDirectory, string extraYaml = "", bool quiet = false)
    {
        ExternalTool.Require("docker-registry");
        var port = Ports.Free();
        var config = Path.Combine(workDirectory, $"distribution-{port}.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: {(quiet ? "warn" : "info")}
              accesslog:
                disabled: {(quiet ? "true" : "false")}
            storage:
              filesystem:
                rootdirectory: {rootDirectory}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {extraYaml}
            """);
        var registry = new DistributionRegistry(rootDirectory, config, port);
        await registry.StartAsync();
        return registry;
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo(ExternalTool.Require("docker-registry"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(ConfigFile);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await Ports.WaitForHttpAsync($"http://{HostPort}/v2/", () => !process.HasExited, TimeSpan.FromSeconds(30));
    }

    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}
