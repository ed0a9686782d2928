using System.Diagnostics;
using System.Net.Sockets;

namespace Wharf.Tests.Unit.Storage.Emulators;

/// <summary>
/// A storage emulator (s3rver, Azurite) run as a child process for the tests, from the project's <c>.tools/</c>
/// (installed by scripts/install-test-tools.sh). Missing tools fail the test with a message that says how to get them.
/// </summary>
public sealed class EmulatorProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private EmulatorProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static async Task<EmulatorProcess> StartAsync(string tool, Func<string, int, string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var executable = Path.Combine(RepositoryRoot(), ".tools", "node", "node_modules", ".bin", tool);
        if (!File.Exists(executable))
            throw new InvalidOperationException($"{tool} is not installed at {executable}: run scripts/install-test-tools.sh (it installs s3rver and azurite with npm)");
        var directory = Path.Combine(Path.GetTempPath(), $"wharf-{tool}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var port = FreePort();
        // The test host may end without running exit handlers (the runner kills it), so the emulator is tied to it:
        // a small shell watches this process and stops the emulator (and removes its data) when it is gone.
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        // SIGKILL, not SIGTERM: Azurite ignores SIGTERM, and the shell would wait for it for ever.
        start.ArgumentList.Add("\"$0\" \"$@\" & child=$!; trap 'kill -9 $child 2>/dev/null; wait $child 2>/dev/null; rm -rf \"$WHARF_EMULATOR_DIRECTORY\"' EXIT INT TERM; " +
                               "while kill -0 \"$WHARF_TEST_PARENT\" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done");
        start.ArgumentList.Add(executable);
        foreach (var argument in arguments(directory, port).Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(argument);
        start.Environment["WHARF_EMULATOR_DIRECTORY"] = directory;
        start.Environment["WHARF_TEST_PARENT"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var emulator = new EmulatorProcess(process, directory, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => emulator.Dispose();
        await emulator.WaitUntilListeningAsync(tool);
        return emulator;
    }

    private async Task WaitUntilListeningAsync(string tool)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{tool} exited at start with code {_process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"{tool} did not listen on port {Port} within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Portal.sln) above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
