using System.Diagnostics;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A private network namespace with only loopback (plus <see cref="Address"/> on it, which dockerd does not treat as
/// insecure, so TLS is really verified) and a real dockerd inside it: nothing it does can reach the internet, so a
/// failing mirror cannot fall back to Docker Hub unnoticed. Started with nsenter, not "ip netns exec", which would
/// remount /sys and hide the cgroups dockerd needs. Needs root.
/// <para>
/// <see cref="StartOnHostNetworkAsync"/> runs the daemon on the host's network instead, for tests whose registry
/// sends the daemon to other loopback servers (an object store's signed URLs) and whose docker CLI talks to the
/// registry itself (<c>docker manifest</c>). Such a test names every image by a 127.0.0.1 registry and configures
/// no mirror, so nothing falls back to Docker Hub.
/// </para>
/// </summary>
public sealed class DockerDaemon : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("wharf-dockerd");
    private readonly List<Process> _processes = [];
    private readonly List<string> _certificateDirectories = [];

    /// <summary>The daemon's network namespace, or null when it runs on the host's network.</summary>
    public string? Namespace { get; private init; } = "wharf-e2e-" + Guid.NewGuid().ToString("N")[..8];
    public string Address { get; } = $"10.213.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}";
    public string Socket => _dir.Combine("exec", "docker.sock");
    public string Directory => _dir.Path;

    public static Task<DockerDaemon> StartAsync(string daemonJson = "{}") => StartAsync(_ => daemonJson, isolated: true);

    /// <summary>Starts a daemon whose daemon.json may name its own <see cref="Address"/> (e.g. in insecure-registries).</summary>
    public static Task<DockerDaemon> StartAsync(Func<string, string> daemonJsonForAddress) => StartAsync(daemonJsonForAddress, isolated: true);

    public static Task<DockerDaemon> StartOnHostNetworkAsync(string daemonJson = "{}") => StartAsync(_ => daemonJson, isolated: false);

    private static async Task<DockerDaemon> StartAsync(Func<string, string> daemonJsonForAddress, bool isolated)
    {
        ExternalTool.Require("dockerd");
        ExternalTool.Require("docker");
        ExternalTool.Require("nsenter");
        ExternalTool.Require("ip");
        var daemon = isolated ? new DockerDaemon() : new DockerDaemon { Namespace = null };
        try
        {
            if (daemon.Namespace is not null)
            {
                await daemon.IpAsync("netns", "add", daemon.Namespace);
                await daemon.IpAsync("-n", daemon.Namespace, "link", "set", "lo", "up");
                await daemon.IpAsync("-n", daemon.Namespace, "addr", "add", daemon.Address + "/32", "dev", "lo");
            }
            await File.WriteAllTextAsync(daemon._dir.Combine("daemon.json"), daemonJsonForAddress(daemon.Address));
            daemon.Start("dockerd", "--storage-driver", "vfs", "--iptables=false", "--bridge=none",
                "--data-root", daemon._dir.Combine("root"), "--exec-root", daemon._dir.Combine("exec"),
                "--pidfile", daemon._dir.Combine("exec", "dockerd.pid"), "-H", "unix://" + daemon.Socket,
                "--config-file", daemon._dir.Combine("daemon.json"));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((await daemon.DockerAsync("info")).ExitCode != 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("dockerd did not start within 60 s");
                await Task.Delay(200);
            }
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a process inside the namespace (if any); it is killed at dispose.</summary>
    public Process Start(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(Namespace is null ? ExternalTool.Require(tool) : ExternalTool.Require("nsenter")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Namespace is not null)
        {
            info.ArgumentList.Add($"--net=/var/run/netns/{Namespace}");
            info.ArgumentList.Add(ExternalTool.Require(tool));
        }
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <summary>Trusts a CA for a registry host:port, the way Docker documents it (/etc/docker/certs.d/host:port/ca.crt).</summary>
    public void TrustCertificate(string hostPort, string caPemPath)
    {
        var dir = Path.Combine("/etc/docker/certs.d", hostPort);
        System.IO.Directory.CreateDirectory(dir);
        File.Copy(caPemPath, Path.Combine(dir, "ca.crt"), overwrite: true);
        _certificateDirectories.Add(dir);
    }

    public Task<ExternalTool.Result> DockerAsync(params string[] arguments) =>
        ExternalTool.RunAsync("docker", arguments, TimeSpan.FromMinutes(5), new Dictionary<string, string>
        {
            ["DOCKER_HOST"] = "unix://" + Socket,
            ["DOCKER_CONFIG"] = _dir.Combine("client"),
        });

    public async Task<string> DockerOkAsync(params string[] arguments)
    {
        var result = await DockerAsync(arguments);
        if (result.ExitCode != 0) throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed: {result.All}");
        return result.Output;
    }

    private async Task IpAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("ip", arguments);
        if (result.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {result.All}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        foreach (var dir in _certificateDirectories)
            if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, recursive: true);
        if (Namespace is not null) await ExternalTool.RunAsync("ip", ["netns", "del", Namespace]);
        // dockerd's vfs layers can be large; a failing delete must not hide the test's own result.
        try { _dir.Dispose(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
