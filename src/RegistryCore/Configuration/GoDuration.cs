using System.Globalization;
using System.Text.RegularExpressions;

namespace Wharf.Registry.Configuration;

/// <summary>Durations as distribution's config.yml writes them (Go syntax: "168h", "1h30m", "90s", "500ms").</summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"(?<value>\d+(\.\d+)?)(?<unit>h|ms|m|s|us|µs|ns)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var value = text.Trim();
        if (value == "0") return true;
        // Also accept .NET's own "hh:mm:ss" form, for settings written in appsettings.json.
        if (value.Contains(':')) return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration);
        var matches = Part().Matches(value);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != value) return false;
        double ticks = 0;
        foreach (Match m in matches)
        {
            var number = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            ticks += m.Groups["unit"].Value switch
            {
                "h" => number * TimeSpan.TicksPerHour,
                "m" => number * TimeSpan.TicksPerMinute,
                "s" => number * TimeSpan.TicksPerSecond,
                "ms" => number * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => number * 10,
                _ => number / 100,
            };
        }
        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }
}
