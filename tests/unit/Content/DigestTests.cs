using System.Security.Cryptography;
using System.Text;
using Wharf.Registry.Content;
using Xunit;

namespace Wharf.Tests.Unit.Content;

public class DigestTests
{
    private const string HelloWorldSha256 = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    private const string HelloWorldSha512 =
        "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f";

    [Theory]
    [InlineData("sha256:" + HelloWorldSha256, "sha256", HelloWorldSha256)]
    [InlineData("sha512:" + HelloWorldSha512, "sha512", HelloWorldSha512)]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000", "sha256", "0000000000000000000000000000000000000000000000000000000000000000")]
    public void TryParse_accepts_supported_digests(string text, string algorithm, string hex)
    {
        Assert.True(Digest.TryParse(text, out var digest));
        Assert.Equal(algorithm, digest.Value.Algorithm);
        Assert.Equal(hex, digest.Value.Hex);
        Assert.Equal(text, digest.Value.ToString());
        Assert.Equal(digest.Value, Digest.Parse(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256")]
    [InlineData("sha256:")]
    [InlineData(":" + HelloWorldSha256)]
    [InlineData(HelloWorldSha256)]
    [InlineData("sha256:B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9")]
    [InlineData("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcdE9")]
    [InlineData("SHA256:" + HelloWorldSha256)]
    [InlineData("sha256:" + HelloWorldSha256 + "0")]
    [InlineData("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde")]
    [InlineData("sha512:" + HelloWorldSha256)]
    [InlineData("sha256:" + HelloWorldSha512)]
    [InlineData("sha384:" + HelloWorldSha256)]
    [InlineData("md5:5eb63bbbe01eeed093cb22bb8f5acdc3")]
    [InlineData("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcdeg")]
    [InlineData(" sha256:" + HelloWorldSha256)]
    [InlineData("sha256:" + HelloWorldSha256 + "\n")]
    [InlineData("sha256:../../etc")]
    [InlineData("sha256:../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("../../x:" + HelloWorldSha256)]
    public void TryParse_rejects_invalid_digests(string? text)
    {
        Assert.False(Digest.TryParse(text, out var digest));
        Assert.Null(digest);
    }

    [Fact]
    public void Parse_throws_FormatException_for_invalid_text() =>
        Assert.Throws<FormatException>(() => Digest.Parse("sha256:../../etc"));

    [Theory]
    [InlineData("sha256", "hello world", "sha256:" + HelloWorldSha256)]
    [InlineData("sha512", "hello world", "sha512:" + HelloWorldSha512)]
    [InlineData("sha256", "", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Compute_matches_known_vectors(string algorithm, string content, string expected) =>
        Assert.Equal(expected, Digest.Compute(algorithm, Encoding.UTF8.GetBytes(content)).ToString());

    [Fact]
    public void Sha256Of_matches_known_vector() =>
        Assert.Equal("sha256:" + HelloWorldSha256, Digest.Sha256Of("hello world"u8).ToString());

    [Theory]
    [InlineData("sha256:" + HelloWorldSha256, "SHA256")]
    [InlineData("sha512:" + HelloWorldSha512, "SHA512")]
    public void HashAlgorithmName_follows_the_algorithm(string text, string expected) =>
        Assert.Equal(new HashAlgorithmName(expected), Digest.Parse(text).HashAlgorithmName);
}
