using Wharf.Registry.Content;
using Xunit;

namespace Wharf.Tests.Unit.Content;

public class RepositoryNameTests
{
    [Theory]
    [InlineData("ubuntu")]
    [InlineData("library/ubuntu")]
    [InlineData("a/b/c")]
    [InlineData("a.b_c__d-e")]
    [InlineData("a---b")]
    [InlineData("0")]
    [InlineData("my-org/team.x/image_name")]
    public void Valid_names_are_accepted(string name) => Assert.True(RepositoryName.IsValid(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Library/ubuntu")]
    [InlineData("library/Ubuntu")]
    [InlineData("/library/ubuntu")]
    [InlineData("library/ubuntu/")]
    [InlineData(".ubuntu")]
    [InlineData("ubuntu.")]
    [InlineData("-ubuntu")]
    [InlineData("ubuntu-")]
    [InlineData("_ubuntu")]
    [InlineData("ubuntu_")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a..b")]
    [InlineData("a___b")]
    [InlineData("a._b")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("../a")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("a\\b")]
    [InlineData("_catalog")]
    [InlineData("library/ubuntu\n")]
    [InlineData("library/ubuntu\0")]
    [InlineData("ubuntu\u0443")]           // Cyrillic у
    [InlineData("\u0430lpine")]           // Cyrillic а
    [InlineData("ｕbuntu")]               // full-width u
    [InlineData("caf\u00e9")]
    public void Invalid_names_are_rejected(string? name) => Assert.False(RepositoryName.IsValid(name));

    [Theory]
    [InlineData(255, true)]
    [InlineData(256, false)]
    public void Length_is_limited_to_255(int length, bool valid)
    {
        // "a/a/a/…": valid components, so only the length decides.
        var name = string.Concat(Enumerable.Range(0, length).Select(i => i % 2 == 0 ? 'a' : '/'));
        Assert.Equal(length, name.Length);
        Assert.Equal(valid, RepositoryName.IsValid(name));
    }
}
