using System.Diagnostics;
using System.Text;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>Runs the real command-line tools the tests depend on (skopeo, docker-registry, htpasswd).</summary>
public static class ExternalTool
{
    /// <summary>Fails the test with a clear message when a tool is missing: the test script installs them.</summary>
    public static string Require(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"'{name}' is not installed; run ./test.sh, which installs the tools the end-to-end tests use.");
    }

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static async Task<Result> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', info.ArgumentList)} did not finish in time");
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs skopeo with TLS verification off (the test registries are plain HTTP on loopback).</summary>
    public static async Task<Result> SkopeoAsync(params string[] arguments)
    {
        var result = await RunAsync("skopeo", arguments);
        return result;
    }

    public static async Task<string> SkopeoOkAsync(params string[] arguments)
    {
        var result = await SkopeoAsync(arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"skopeo {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.All}");
        return result.Output;
    }
}
