using System.Net;
using System.Security.Cryptography;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Import;

/// <summary>
/// A registry:2 data directory is imported at the first start. A blob file in it is served as its digest only when
/// it lies inside the store and its bytes are that digest's: a link to /etc/passwd (filed under passwd's own digest,
/// so hashing alone would accept it), a link to a secret under a made-up digest, a linked directory leading out of
/// the store and a damaged blob are all refused, and the honest blob is served.
/// </summary>
public sealed class ImportVerificationTests : IAsyncLifetime
{
    private readonly TempDirectory _outside = new();
    private readonly RegistryTestHost _host = new();
    private readonly Dictionary<string, string> _digests = new();

    public async Task InitializeAsync()
    {
        var v2 = Path.Combine(_host.RootDirectory, "docker", "registry", "v2");
        var secret = _outside.Combine("signing-key.pem");
        File.WriteAllText(secret, "-----BEGIN PRIVATE KEY----- not for anyone -----END PRIVATE KEY-----");

        _digests["good"] = AddBlob(v2, File.ReadAllBytes(secret).Reverse().ToArray(), data => File.WriteAllBytes(data, File.ReadAllBytes(secret).Reverse().ToArray()));
        _digests["passwd"] = AddBlob(v2, File.ReadAllBytes("/etc/passwd"), data => File.CreateSymbolicLink(data, "/etc/passwd"));
        _digests["key"] = AddBlob(v2, File.ReadAllBytes(secret), data => File.CreateSymbolicLink(data, secret));
        _digests["damaged"] = AddBlob(v2, "the real content"u8.ToArray(), data => File.WriteAllText(data, "something else"));
        // A directory on the way is a link out of the store: data is the secret, reached through ../outside.
        var linkedBytes = File.ReadAllBytes(secret);
        var linkedDigest = Digests.Sha256(linkedBytes.Concat("x"u8.ToArray()).ToArray());
        File.WriteAllBytes(_outside.Combine("data"), linkedBytes.Concat("x"u8.ToArray()).ToArray());
        var hex = linkedDigest["sha256:".Length..];
        Directory.CreateDirectory(Path.Combine(v2, "blobs", "sha256", hex[..2]));
        Directory.CreateSymbolicLink(Path.Combine(v2, "blobs", "sha256", hex[..2], hex), _outside.Path);
        _digests["linked-directory"] = linkedDigest;

        foreach (var digest in _digests.Values)
        {
            var link = Path.Combine(v2, "repositories", "app", "_layers", "sha256", digest["sha256:".Length..]);
            Directory.CreateDirectory(link);
            File.WriteAllText(Path.Combine(link, "link"), digest);
        }
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _outside.Dispose();
    }

    private static string AddBlob(string v2, byte[] content, Action<string> write)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var hex = digest["sha256:".Length..];
        var directory = Path.Combine(v2, "blobs", "sha256", hex[..2], hex);
        Directory.CreateDirectory(directory);
        write(Path.Combine(directory, "data"));
        return digest;
    }

    [Theory]
    [InlineData("passwd")]
    [InlineData("key")]
    [InlineData("damaged")]
    [InlineData("linked-directory")]
    public async Task A_blob_that_leads_outside_or_does_not_match_is_not_served(string which)
    {
        using var client = _host.CreateClient();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, $"/v2/app/blobs/{_digests[which]}"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("root:", body);
            Assert.DoesNotContain("PRIVATE KEY", body);
        }
    }

    [Fact]
    public async Task The_honest_blob_is_served()
    {
        using var client = _host.CreateClient();
        using var response = await client.GetAsync($"/v2/app/blobs/{_digests["good"]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_digests["good"], Digests.Sha256(await response.Content.ReadAsByteArrayAsync()));
    }
}
