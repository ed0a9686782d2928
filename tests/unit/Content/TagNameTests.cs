using Wharf.Registry.Content;
using Xunit;

namespace Wharf.Tests.Unit.Content;

public class TagNameTests
{
    [Theory]
    [InlineData("latest")]
    [InlineData("v1.0.0")]
    [InlineData("1.2.3-alpine_3.19")]
    [InlineData("_private")]
    [InlineData("A")]
    [InlineData("9")]
    [InlineData("UPPER.lower-Mixed_09")]
    public void Valid_tags_are_accepted(string tag) => Assert.True(TagName.IsValid(tag));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData(".INVALID_MANIFEST_NAME")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a b")]
    [InlineData("tag+1")]
    [InlineData("sha256@x")]
    [InlineData("t\u00e4g")]
    [InlineData("latest\n")]
    [InlineData("latest\r\n")]
    public void Invalid_tags_are_rejected(string? tag) => Assert.False(TagName.IsValid(tag));

    [Theory]
    [InlineData(1, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public void Length_is_limited_to_128(int length, bool valid) =>
        Assert.Equal(valid, TagName.IsValid(new string('t', length)));
}
