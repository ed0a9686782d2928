using System.Net;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// Pulls are answered from the read cache once asked, and every change is seen by the very next request: a moved
/// tag, a deleted tag or manifest, an unlinked blob.
/// </summary>
public sealed class ReadCacheTests : RegistryApiTest
{
    private const string Repo = "cache/app";

    private async Task<string?> DigestOfAsync(string reference)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, $"/v2/{Repo}/manifests/{reference}",
            r => r.Headers.Accept.ParseAdd(TestContent.OciManifest));
        return response.StatusCode == HttpStatusCode.OK ? Header(response, "Docker-Content-Digest") : null;
    }

    [Fact]
    public async Task A_pushed_tag_moves_for_the_next_pull()
    {
        var first = TestContent.Image("cache-first");
        var second = TestContent.Image("cache-second");
        await Client.PushImageAsync(Repo, "latest", first);
        Assert.Equal(first.Digest, await DigestOfAsync("latest"));
        Assert.Equal(first.Digest, await DigestOfAsync("latest"));
        await Client.PushImageAsync(Repo, "latest", second);
        Assert.Equal(second.Digest, await DigestOfAsync("latest"));
    }

    [Fact]
    public async Task A_deleted_manifest_is_gone_for_the_next_pull()
    {
        var image = TestContent.Image("cache-delete");
        await Client.PushImageAsync(Repo, "1.0", image);
        Assert.Equal(image.Digest, await DigestOfAsync(image.Digest));
        Assert.Equal(image.Digest, await DigestOfAsync("1.0"));
        using (var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{image.Digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Null(await DigestOfAsync(image.Digest));
        Assert.Null(await DigestOfAsync("1.0"));
    }

    [Fact]
    public async Task A_deleted_tag_is_gone_for_the_next_pull_and_its_manifest_stays()
    {
        var image = TestContent.Image("cache-untag");
        await Client.PushImageAsync(Repo, "2.0", image);
        Assert.Equal(image.Digest, await DigestOfAsync("2.0"));
        using (var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/2.0")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Null(await DigestOfAsync("2.0"));
        Assert.Equal(image.Digest, await DigestOfAsync(image.Digest));
    }

    [Fact]
    public async Task A_deleted_blob_is_gone_for_the_next_head()
    {
        var content = "a blob the cache has seen"u8.ToArray();
        var digest = await Client.PushBlobAsync(Repo, content);
        for (var i = 0; i < 2; i++)
        {
            using var head = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        }
        using (var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var after = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task A_blob_in_one_repository_is_not_answered_for_another()
    {
        var digest = await Client.PushBlobAsync(Repo, "only in cache/app"u8.ToArray());
        using (var head = await Client.SendAsync(HttpMethod.Head, $"/v2/{Repo}/blobs/{digest}")) Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        using var other = await Client.SendAsync(HttpMethod.Head, $"/v2/cache/other/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }
}
