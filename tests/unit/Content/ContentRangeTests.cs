using Wharf.Registry.Content;
using Xunit;

namespace Wharf.Tests.Unit.Content;

public class ContentRangeTests
{
    [Theory]
    [InlineData("0-21", 0, 21, 22)]
    [InlineData("bytes 0-21/42", 0, 21, 22)]
    [InlineData("bytes 0-21/*", 0, 21, 22)]
    [InlineData("bytes=0-21", 0, 21, 22)]
    [InlineData("Bytes=22-41", 22, 41, 20)]
    [InlineData("5-5", 5, 5, 1)]
    [InlineData("  100-199  ", 100, 199, 100)]
    [InlineData("0-9223372036854775806", 0, 9223372036854775806, 9223372036854775807)]
    public void Valid_ranges_parse(string text, long start, long end, long length)
    {
        Assert.True(ContentRange.TryParse(text, out var range));
        Assert.Equal(new ContentRange(start, end), range);
        Assert.Equal(length, range.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("garbage")]
    [InlineData("21-0")]
    [InlineData("bytes 21-0/42")]
    [InlineData("-1-5")]
    [InlineData("0--5")]
    [InlineData("+0-5")]
    [InlineData("-5")]
    [InlineData("0-")]
    [InlineData("-")]
    [InlineData("0-1-2")]
    [InlineData("0 -5")]
    [InlineData("0x0-0x10")]
    [InlineData("1.5-3")]
    [InlineData("0-99999999999999999999")]
    [InlineData("99999999999999999999-99999999999999999999")]
    [InlineData("0-9223372036854775808")]
    [InlineData("bytes */42")]
    public void Invalid_ranges_are_rejected(string? text)
    {
        Assert.False(ContentRange.TryParse(text, out var range));
        Assert.Equal(default, range);
    }

    [Theory]
    [InlineData(0, "0-0")]
    [InlineData(1, "0-0")]
    [InlineData(42, "0-41")]
    [InlineData(1048576, "0-1048575")]
    public void UploadRangeHeader_is_the_inclusive_last_offset(long size, string expected) =>
        Assert.Equal(expected, ContentRange.UploadRangeHeader(size));
}
