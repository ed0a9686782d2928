using System.Globalization;
using System.Text.RegularExpressions;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// HEAD requests under load with ab (apache2-utils), for every server alike. wrk cannot do them: it waits for the
/// body a HEAD answer's <c>Content-Length</c> announces and never finishes a request.
/// </summary>
public static partial class ApacheBench
{
    public static async Task<WrkResult> HeadAsync(string url, int connections, TimeSpan duration, string? authorization = null)
    {
        var arguments = new List<string>
        {
            "-i", "-k", "-q",
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-t", Math.Max(1, (int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-n", "100000000",
        };
        if (authorization is not null) arguments.AddRange(["-H", $"Authorization: {authorization}"]);
        arguments.Add(url);
        var result = await ExternalTool.RunAsync("ab", arguments, duration + TimeSpan.FromMinutes(2));
        var output = result.Output;
        double Number(Regex pattern) => pattern.Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
        var complete = Number(Complete());
        if (result.ExitCode != 0 || double.IsNaN(complete))
            throw new InvalidOperationException($"ab {string.Join(' ', arguments.Where(a => !a.StartsWith("Authorization", StringComparison.Ordinal)))} failed ({result.ExitCode}):\n{result.All}");
        var failed = Number(Failed());
        var non2xx = Number(Non2xx());
        var seconds = Number(Taken());
        return new WrkResult((long)complete, 0, TimeSpan.FromSeconds(seconds), Number(Percent50()), Number(Percent99()), Number(Longest()),
            (long)(double.IsNaN(failed) ? 0 : failed) + (long)(double.IsNaN(non2xx) ? 0 : non2xx));
    }

    [GeneratedRegex(@"^Complete requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Complete();
    [GeneratedRegex(@"^Failed requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Failed();
    [GeneratedRegex(@"^Non-2xx responses:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Non2xx();
    [GeneratedRegex(@"^Time taken for tests:\s+([0-9.]+) seconds", RegexOptions.Multiline)] private static partial Regex Taken();
    [GeneratedRegex(@"^\s+50%\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Percent50();
    [GeneratedRegex(@"^\s+99%\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Percent99();
    [GeneratedRegex(@"^\s+100%\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Longest();
}
