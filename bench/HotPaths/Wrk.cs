using System.Globalization;
using System.Text.RegularExpressions;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>What one wrk run measured (bench/wrk/registry.lua prints it).</summary>
public sealed record WrkResult(long Requests, long Bytes, TimeSpan Duration, double P50Ms, double P99Ms, double MaxMs, long Errors)
{
    public double RequestsPerSecond => Requests / Duration.TotalSeconds;
    public double MegabytesPerSecond => Bytes / 1e6 / Duration.TotalSeconds;
}

/// <summary>Runs wrk (Debian's) with the bench's Lua script: fixed duration, given connections, two threads.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, int connections, TimeSpan duration, string method = "GET",
        string? authorization = null, string? accept = null)
    {
        var script = Path.Combine(RepositoryRoot.Find(), "bench", "wrk", "registry.lua");
        var environment = new Dictionary<string, string>
        {
            ["WRK_METHOD"] = method,
            ["WRK_AUTHORIZATION"] = authorization ?? "",
            ["WRK_ACCEPT"] = accept ?? "",
        };
        string[] arguments =
        [
            "-t", Math.Min(2, connections).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{Math.Max(1, (int)duration.TotalSeconds)}s",
            "--timeout", "30s",
            "-s", script, url,
        ];
        var result = await ExternalTool.RunAsync("wrk", arguments, duration + TimeSpan.FromMinutes(2), environment);
        var match = Summary().Match(result.Output);
        if (result.ExitCode != 0 || !match.Success)
            throw new InvalidOperationException($"wrk {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.All}");
        long Field(string name) => long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture);
        var errors = Field("status") + Field("connect") + Field("read") + Field("write") + Field("timeouts");
        return new WrkResult(Field("requests"), Field("bytes"), TimeSpan.FromMicroseconds(Field("duration")),
            Field("p50") / 1000.0, Field("p99") / 1000.0, Field("max") / 1000.0, errors);
    }

    [GeneratedRegex(@"^BENCH requests=(?<requests>\d+) bytes=(?<bytes>\d+) duration_us=(?<duration>\d+) p50_us=(?<p50>\d+) p99_us=(?<p99>\d+) max_us=(?<max>\d+) status_errors=(?<status>\d+) connect_errors=(?<connect>\d+) read_errors=(?<read>\d+) write_errors=(?<write>\d+) timeouts=(?<timeouts>\d+)$", RegexOptions.Multiline)]
    private static partial Regex Summary();
}
