using System.Net;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Import;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Import;

/// <summary>
/// <c>wharf import --defer-verification</c>: blobs are recorded without being hashed, and the first read of each
/// hashes it before anything is served. A damaged blob or a link out of the store is then refused with BLOB_UNKNOWN
/// and a message that says why (and stays marked, so every later read checks again); an honest blob is served and
/// marked verified.
/// </summary>
public sealed class DeferredVerificationTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();
    private readonly Dictionary<string, string> _digests = new();
    private readonly Dictionary<string, byte[]> _content = new();
    private ImportReport _report = null!;

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        var v2 = Path.Combine(_host.RootDirectory, "docker", "registry", "v2");
        Add(v2, "good", "an honest layer"u8.ToArray(), (data, bytes) => File.WriteAllBytes(data, bytes));
        Add(v2, "damaged", "the real content"u8.ToArray(), (data, _) => File.WriteAllText(data, "something else"));
        Add(v2, "passwd", File.ReadAllBytes("/etc/passwd"), (data, _) => File.CreateSymbolicLink(data, "/etc/passwd"));
        foreach (var digest in _digests.Values)
        {
            var link = Path.Combine(v2, "repositories", "app", "_layers", "sha256", digest["sha256:".Length..]);
            Directory.CreateDirectory(link);
            File.WriteAllText(Path.Combine(link, "link"), digest);
        }
        await using var scope = _host.Services.CreateAsyncScope();
        _report = await scope.ServiceProvider.GetRequiredService<DistributionImporter>().ImportAsync(merge: false, CancellationToken.None, deferVerification: true);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private void Add(string v2, string name, byte[] content, Action<string, byte[]> write)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var hex = digest["sha256:".Length..];
        var directory = Path.Combine(v2, "blobs", "sha256", hex[..2], hex);
        Directory.CreateDirectory(directory);
        write(Path.Combine(directory, "data"), content);
        _digests[name] = digest;
        _content[name] = content;
    }

    private Task<bool?> UnverifiedAsync(string name) =>
        WithDbAsync(_host, db => db.Blobs.Where(b => b.Digest == _digests[name]).Select(b => (bool?)(b.UnverifiedSince != null)).FirstOrDefaultAsync());

    [Fact]
    public async Task The_import_hashes_nothing_and_marks_what_it_recorded()
    {
        // The damaged blob is recorded: the import did not read its bytes (an import that hashes would skip it). The
        // link out of the store is refused already when it is looked at.
        Assert.Equal(1, _report.Skipped);
        Assert.True(await UnverifiedAsync("damaged"));
        Assert.True(await UnverifiedAsync("good"));
    }

    [Theory]
    [InlineData("damaged")]
    [InlineData("passwd")]
    public async Task A_blob_that_does_not_match_is_never_served_and_says_why(string which)
    {
        using var client = _host.CreateClient();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var get = await client.GetAsync($"/v2/app/blobs/{_digests[which]}");
            var body = await get.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            Assert.Contains("BLOB_UNKNOWN", body);
            Assert.DoesNotContain("root:", body);
            if (which == "damaged") Assert.Contains("does not match its digest", body);
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/app/blobs/{_digests[which]}"));
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
        Assert.True(await UnverifiedAsync(which) ?? true);
    }

    [Fact]
    public async Task An_honest_blob_is_verified_on_its_first_read_and_served()
    {
        using var client = _host.CreateClient();
        using var response = await client.GetAsync($"/v2/app/blobs/{_digests["good"]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_content["good"], await response.Content.ReadAsByteArrayAsync());
        Assert.False(await UnverifiedAsync("good"));
    }
}
