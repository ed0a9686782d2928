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

    /// <summary>
    /// Runs skopeo logged in to every Wharf the arguments name (with an auth file of <see cref="RegistryLogins"/>,
    /// as <c>skopeo login</c> would have left), unless the arguments bring their own <c>--authfile</c>. Credentials
    /// given with <c>--creds</c>, <c>--src-creds</c> or <c>--dest-creds</c> take precedence, as in skopeo. For a call
    /// that must stay anonymous, use <see cref="RunAsync"/>.
    /// </summary>
    public static async Task<Result> SkopeoAsync(params string[] arguments)
    {
        var authFile = arguments.Any(a => a.StartsWith("--authfile", StringComparison.Ordinal)) ? null : RegistryLogins.WriteAuthFile(arguments);
        try
        {
            return await RunAsync("skopeo", arguments, environment: authFile is null ? null : new Dictionary<string, string> { ["REGISTRY_AUTH_FILE"] = authFile });
        }
        finally
        {
            if (authFile is not null) File.Delete(authFile);
        }
    }

    public static async Task<string> SkopeoOkAsync(params string[] arguments)
    {
        var result = await SkopeoAsync(arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"skopeo {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.All}");
        return result.Output;
    }
}
