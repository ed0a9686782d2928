using System.Collections.Concurrent;
using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>A real Wharf process on a loopback port, over a data directory the test owns.</summary>
public sealed class WharfProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public WharfProcess(string rootDirectory, IDictionary<string, string>? environment = null, string? configFile = null, int? port = null)
    {
        RootDirectory = rootDirectory;
        Environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        ConfigFile = configFile;
        Port = port ?? Ports.Free();
    }

    public string RootDirectory { get; }
    /// <summary>A network namespace (under /var/run/netns) to run Wharf in; the start is then awaited from its log.</summary>
    public string? NetworkNamespace { get; init; }
    /// <summary>Presented while waiting for the start, for a Wharf that demands client certificates (http.tls.clientcas).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }
    public Dictionary<string, string> Environment { get; }
    public string? ConfigFile { get; }
    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    /// <summary>https when the test gave Wharf a certificate (REGISTRY_HTTP_TLS_CERTIFICATE).</summary>
    public string BaseUrl => $"{(Environment.ContainsKey("REGISTRY_HTTP_TLS_CERTIFICATE") ? "https" : "http")}://{HostPort}";
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");
    public string Log => string.Join('\n', _log);
    /// <summary>How many lines Wharf has written so far; with <see cref="LogLinesFrom"/>, what one step wrote.</summary>
    public int LogLineCount => _log.Count;
    public IEnumerable<string> LogLinesFrom(int start) => _log.Skip(start);

    /// <summary>The first Admin, created from WHARF_ADMIN_USER/WHARF_ADMIN_PASSWORD unless the test sets its own.</summary>
    public const string DefaultAdminUser = "admin";
    public const string DefaultAdminPassword = "wharf-e2e-admin-password";
    public string AdminUser => Environment.GetValueOrDefault("WHARF_ADMIN_USER", DefaultAdminUser);
    public string AdminPassword => Environment.GetValueOrDefault("WHARF_ADMIN_PASSWORD", DefaultAdminPassword);

    public static async Task<WharfProcess> StartAsync(string rootDirectory, IDictionary<string, string>? environment = null, string? configFile = null)
    {
        var wharf = new WharfProcess(rootDirectory, environment, configFile);
        await wharf.StartAsync();
        return wharf;
    }

    public async Task StartAsync()
    {
        Directory.CreateDirectory(RootDirectory);
        var info = new ProcessStartInfo(NetworkNamespace is null ? "dotnet" : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RootDirectory,
        };
        if (NetworkNamespace is not null)
        {
            info.ArgumentList.Add($"--net=/var/run/netns/{NetworkNamespace}");
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(RepositoryRoot.WharfDll());
        if (ConfigFile is not null)
        {
            info.ArgumentList.Add("serve");
            info.ArgumentList.Add(ConfigFile);
        }
        info.Environment["REGISTRY_HTTP_ADDR"] = HostPort;
        if (ConfigFile is null) info.Environment["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = RootDirectory;
        info.Environment["REGISTRY_STORAGE_DELETE_ENABLED"] = "true";
        info.Environment["DOTNET_gcServer"] = "0";
        // Authentication is on, as Wharf ships; the tests log in as this Admin (see RegistryLogins).
        info.Environment["WHARF_ADMIN_USER"] = DefaultAdminUser;
        info.Environment["WHARF_ADMIN_PASSWORD"] = DefaultAdminPassword;
        foreach (var (k, v) in Environment) info.Environment[k] = v;
        RegistryLogins.Register(HostPort, AdminUser, AdminPassword);

        _process = Process.Start(info)!;
        // xunit skips DisposeAsync when a fixture fails part way through its start-up; never leave Wharf running.
        var started = _process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { if (!started.HasExited) started.Kill(); } catch (InvalidOperationException) { } };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        try
        {
            // Generous: several instances may start at once on a machine shared with other builds.
            if (NetworkNamespace is null)
                await Ports.WaitForHttpAsync($"{BaseUrl}/v2/", () => !process.HasExited, TimeSpan.FromSeconds(120), ClientCertificate);
            else
                await WaitForLogAsync("Now listening on", () => !process.HasExited, TimeSpan.FromSeconds(120));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Wharf did not start: {e.Message}\n{Log}", e);
        }
    }

    private async Task WaitForLogAsync(string text, Func<bool> stillRunning, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_log.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (!stillRunning()) throw new InvalidOperationException("Wharf exited during start-up");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Wharf did not log '{text}' within {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>The exit code once the process has ended (a start that was refused), else null.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (_process is null) throw new InvalidOperationException("not started");
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a crash or power cut of the service.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits: a clean shutdown (SQLite folds its write-ahead log into the database).</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        await ExternalTool.RunAsync("kill", ["-TERM", _process.Id.ToString()]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>The process ended (for a test that checks Wharf survived something), with its exit code.</summary>
    public bool HasExited => _process?.HasExited ?? false;

    /// <summary>Resident memory now and at its peak, in bytes, from /proc.</summary>
    public (long Current, long Peak) Memory()
    {
        long current = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:")) current = ParseKb(line);
            else if (line.StartsWith("VmHWM:")) peak = ParseKb(line);
        }
        return (current, peak);
    }

    private static long ParseKb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
    }
}
