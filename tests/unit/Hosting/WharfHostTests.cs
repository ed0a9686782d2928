using Wharf.Portal.Hosting;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

public class WharfHostTests
{
    [Theory]
    [InlineData(":5000", null, 5000)]
    [InlineData("0.0.0.0:5000", null, 5000)]
    [InlineData("[::]:443", null, 443)]
    [InlineData("127.0.0.1:6000", "127.0.0.1", 6000)]
    [InlineData("localhost:5000", "localhost", 5000)]
    [InlineData("[::1]:5000", "::1", 5000)]
    [InlineData("registry.example.com:0", "registry.example.com", 0)]
    [InlineData(":65535", null, 65535)]
    public void ParseAddress_splits_host_and_port(string value, string? host, int port) =>
        Assert.Equal((host, port), WharfHost.ParseAddress(value));

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("localhost")]
    [InlineData("localhost:http")]
    [InlineData(":65536")]
    [InlineData(":-1")]
    [InlineData("127.0.0.1:")]
    public void ParseAddress_rejects_malformed_addresses(string value) =>
        Assert.Throws<InvalidDataException>(() => WharfHost.ParseAddress(value));
}
