using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Configuration;

public class GoDurationTests
{
    [Theory]
    [InlineData("168h", 168 * TimeSpan.TicksPerHour)]
    [InlineData("24h", 24 * TimeSpan.TicksPerHour)]
    [InlineData("1h30m", 90 * TimeSpan.TicksPerMinute)]
    [InlineData("2h45m30s", (2 * 3600 + 45 * 60 + 30) * TimeSpan.TicksPerSecond)]
    [InlineData("90s", 90 * TimeSpan.TicksPerSecond)]
    [InlineData("500ms", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1s500ms", 1500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5h", 90 * TimeSpan.TicksPerMinute)]
    [InlineData("250us", 2500L)]
    [InlineData("250µs", 2500L)]
    [InlineData("300ns", 3L)]
    [InlineData("0", 0L)]
    [InlineData(" 10s ", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("00:10:00", 10 * TimeSpan.TicksPerMinute)]
    [InlineData("1.02:00:00", 26 * TimeSpan.TicksPerHour)]
    public void Valid_durations_parse(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromTicks(ticks), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("10x")]
    [InlineData("h")]
    [InlineData("10")]
    [InlineData("1h 30m")]
    [InlineData("1h30")]
    [InlineData("-5s")]
    [InlineData("5s-")]
    [InlineData(".5s")]
    [InlineData("1d")]
    [InlineData("ten seconds")]
    [InlineData("00:99:00")]
    public void Invalid_durations_are_rejected(string? text)
    {
        Assert.False(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }
}
