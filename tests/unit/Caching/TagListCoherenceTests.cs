using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Caching;

/// <summary>
/// Two instances on one metadata database (SQLite: one data directory; PostgreSQL: one database, in the suite's
/// PostgreSQL run), each with its own tag-list cache: a change made through one is in the other's very next
/// <c>tags/list</c>, every page of it, although the other had the list cached.
/// </summary>
public sealed class TagListCoherenceTests : IAsyncLifetime
{
    private const string Repo = "coherent/app";
    private RegistryTestHost _writer = null!;
    private RegistryTestHost _reader = null!;
    private HttpClient _write = null!;
    private HttpClient _read = null!;

    public async Task InitializeAsync()
    {
        _writer = new RegistryTestHost();
        await _writer.InitializeAsync();
        _reader = new RegistryTestHost
        {
            Settings =
            [
                "--registry:storage:filesystem:rootdirectory=" + _writer.RootDirectory,
                "--Wharf:DataDirectory=" + Path.Combine(_writer.RootDirectory, "wharf"),
                .. _writer.Database.HostSettings,
            ],
        };
        await _reader.InitializeAsync();
        _write = _writer.CreateClient();
        _read = _reader.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _read.Dispose();
        _write.Dispose();
        await _reader.DisposeAsync();
        await _writer.DisposeAsync();
    }

    private async Task<string> PushAsync(string seed, params string[] tags)
    {
        var image = TestContent.Image(seed);
        foreach (var blob in image.Blobs) await _write.PushBlobAsync(Repo, blob);
        foreach (var tag in tags) await _write.PushManifestAsync(Repo, tag, image.Manifest, image.MediaType);
        return image.Digest;
    }

    /// <summary>The whole list as the reader serves it: once in one page, and again page by page (n=2), following Link.</summary>
    private async Task<List<string>> ReaderListsAsync()
    {
        var whole = await _read.TagsAsync(Repo);
        var paged = new List<string>();
        string? next = $"/v2/{Repo}/tags/list?n=2";
        while (next is not null)
        {
            using var response = await _read.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            paged.AddRange((await JsonAsync(response)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()!));
            next = Header(response, "Link") is { } link ? link[1..link.IndexOf('>')] : null;
        }
        Assert.Equal(whole, paged);
        return whole;
    }

    private async Task<long> GenerationAsync()
    {
        await using var db = await _reader.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync();
        return await db.Repositories.Where(r => r.Name == Repo).Select(r => r.TagGeneration).SingleAsync();
    }

    [Fact]
    public async Task A_tag_pushed_on_one_instance_is_listed_by_the_other_at_once()
    {
        await PushAsync("coherent-push", "a", "b", "c");
        Assert.Equal(["a", "b", "c"], await ReaderListsAsync());
        Assert.Equal(["a", "b", "c"], await ReaderListsAsync()); // now from the reader's cache

        await PushAsync("coherent-push", "bb", "d");
        Assert.Equal(["a", "b", "bb", "c", "d"], await ReaderListsAsync());
    }

    [Fact]
    public async Task A_tag_moved_on_one_instance_bumps_the_generation_the_other_reads()
    {
        await PushAsync("coherent-first", "latest", "1.0");
        Assert.Equal(["1.0", "latest"], await ReaderListsAsync());
        var before = await GenerationAsync();

        var second = await PushAsync("coherent-second", "latest");
        Assert.True(await GenerationAsync() > before);
        Assert.Equal(["1.0", "latest"], await ReaderListsAsync());
        using var manifest = await _read.SendAsync(HttpMethod.Get, $"/v2/{Repo}/manifests/latest", r => r.Headers.Accept.ParseAdd(TestContent.OciManifest));
        Assert.Equal(second, Header(manifest, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task A_tag_deleted_on_one_instance_is_gone_from_the_others_list()
    {
        await PushAsync("coherent-untag", "a", "b", "c");
        Assert.Equal(["a", "b", "c"], await ReaderListsAsync());

        using (var delete = await _write.DeleteAsync($"/v2/{Repo}/manifests/b")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(["a", "c"], await ReaderListsAsync());
    }

    [Fact]
    public async Task A_manifest_deleted_on_one_instance_takes_its_tags_from_the_others_list()
    {
        var kept = await PushAsync("coherent-kept", "kept");
        var gone = await PushAsync("coherent-gone", "x", "y");
        Assert.Equal(["kept", "x", "y"], await ReaderListsAsync());

        using (var delete = await _write.DeleteAsync($"/v2/{Repo}/manifests/{gone}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(["kept"], await ReaderListsAsync());

        // Emptied: the repository lists no tags, then (its row gone, as a removed repository's is) is unknown.
        using (var delete = await _write.DeleteAsync($"/v2/{Repo}/manifests/{kept}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Empty(await ReaderListsAsync());
        await using (var db = await _writer.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync())
            Assert.Equal(1, await db.Repositories.Where(r => r.Name == Repo).ExecuteDeleteAsync());
        using var unknown = await _read.GetAsync($"/v2/{Repo}/tags/list");
        await AssertErrorAsync(unknown, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task A_page_is_served_from_the_cache_until_the_generation_moves()
    {
        var digest = await PushAsync("coherent-cached", "a");
        Assert.Equal(["a"], await ReaderListsAsync());

        // A row written behind the engine's back (no bump) is not seen: the page came from the cache...
        await using var db = await _writer.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync();
        var id = await db.Repositories.Where(r => r.Name == Repo).Select(r => r.Id).SingleAsync();
        await db.Database.ExecuteSqlAsync(
            $"""INSERT INTO "Tags" ("RepositoryId", "Name", "ManifestDigest", "UpdatedAt") VALUES ({id}, {"b"}, {digest}, {DateTime.UtcNow})""");
        Assert.Equal(["a"], await ReaderListsAsync());

        // ...and the next generation's page is read afresh.
        await db.BumpAsync(id, default);
        Assert.Equal(["a", "b"], await ReaderListsAsync());
    }

    [Fact]
    public async Task Pages_served_from_the_cache_are_the_pages_rendered_afresh_byte_for_byte()
    {
        await PushAsync("coherent-pages", "a", "b", "c", "d", "e");
        async Task<List<(string Body, string? Link, string? Type)>> PagesAsync()
        {
            var pages = new List<(string, string?, string?)>();
            foreach (var first in new[] { $"/v2/{Repo}/tags/list", $"/v2/{Repo}/tags/list?n=2", $"/v2/{Repo}/tags/list?n=2&last=a", $"/v2/{Repo}/tags/list?n=0" })
            {
                string? next = first;
                while (next is not null)
                {
                    using var response = await _read.GetAsync(next);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var link = Header(response, "Link");
                    pages.Add((await response.Content.ReadAsStringAsync(), link, response.Content.Headers.ContentType?.ToString()));
                    next = link is null ? null : link[1..link.IndexOf('>')];
                }
            }
            return pages;
        }

        var rendered = await PagesAsync(); // every page a miss: read from the database and rendered
        Assert.Equal("""{"name":"coherent/app","tags":["a","b","c","d","e"]}""", rendered[0].Body);
        Assert.Null(rendered[0].Link);
        Assert.Equal($"</v2/{Repo}/tags/list?n=2&last=b>; rel=\"next\"", rendered[1].Link);
        Assert.Equal("""{"name":"coherent/app","tags":[]}""", rendered[^1].Body);

        // A tag written behind the engine's back (no bump): the second round can only have come from the cache.
        await using var db = await _writer.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync();
        var id = await db.Repositories.Where(r => r.Name == Repo).Select(r => r.Id).SingleAsync();
        var digest = await db.Tags.Where(t => t.RepositoryId == id).Select(t => t.ManifestDigest).FirstAsync();
        await db.Database.ExecuteSqlAsync(
            $"""INSERT INTO "Tags" ("RepositoryId", "Name", "ManifestDigest", "UpdatedAt") VALUES ({id}, {"aa"}, {digest}, {DateTime.UtcNow})""");
        Assert.Equal(rendered, await PagesAsync());
    }
}
