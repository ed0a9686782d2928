using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>
/// A cached repository gets a blob only from its upstream's own bytes. An upstream that merely claims a digest (HEAD
/// answers 200) which the store holds for a private repository must not get those bytes linked into the cache,
/// where everyone who may pull the cache could read them.
/// </summary>
public sealed class ProxyBlobLinkingTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private RegistryTestHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _host = new RegistryTestHost
        {
            Settings = ["--Wharf:Upstreams:0:Name=up", "--Wharf:Upstreams:0:Prefix=up", "--Wharf:Upstreams:0:Url=" + _upstream.Url],
        };
        await _host.InitializeAsync();
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<bool> LinkedAsync(string repository, string digest)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        return await (from rb in db.RepositoryBlobs
                      join r in db.Repositories on rb.RepositoryId equals r.Id
                      where r.Name == repository && rb.Digest == digest
                      select rb).AnyAsync();
    }

    [Fact]
    public async Task An_upstream_that_only_claims_a_private_blob_never_gets_it_linked()
    {
        var secret = "private build secret: s3cr3t-value"u8.ToArray();
        var digest = await _client.PushBlobAsync("private/app", secret);
        // The upstream says it has the digest (HEAD: 200, right length) but sends other bytes.
        _upstream.AddBlob(secret);
        _upstream.BlobBody = (_, bytes) => new MemoryStream(new byte[bytes.Length]);

        using (var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/up/team/app/blobs/{digest}")))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.False(await LinkedAsync("up/team/app", digest));

        // The GET streams the upstream's bytes while it verifies them, and cuts the connection when they do not match.
        var body = "";
        try
        {
            body = await _client.GetStringAsync($"/v2/up/team/app/blobs/{digest}");
        }
        catch (HttpRequestException)
        {
        }
        Assert.DoesNotContain("s3cr3t", body);
        Assert.False(await LinkedAsync("up/team/app", digest));
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
        // The private repository keeps its blob.
        Assert.Equal(secret, await _client.GetByteArrayAsync($"/v2/private/app/blobs/{digest}"));
    }

    [Fact]
    public async Task A_blob_also_held_privately_is_fetched_and_verified_from_the_upstream_before_it_is_linked()
    {
        var shared = "a layer both the upstream and a private repository have"u8.ToArray();
        var digest = await _client.PushBlobAsync("private/app", shared);
        _upstream.AddBlob(shared);

        Assert.Equal(shared, await _client.GetByteArrayAsync($"/v2/up/team/app/blobs/{digest}"));
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
        Assert.True(await LinkedAsync("up/team/app", digest));
        // Linked now: served from the store.
        Assert.Equal(shared, await _client.GetByteArrayAsync($"/v2/up/team/app/blobs/{digest}"));
        Assert.Equal(1, _upstream.Count("GET", $"/v2/team/app/blobs/{digest}"));
    }
}
