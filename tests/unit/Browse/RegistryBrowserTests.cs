using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Browse;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Browse;

/// <summary>The portal's read views over a registry that two images sharing a base layer were pushed into.</summary>
public sealed class RegistryBrowserTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();
    private static readonly byte[] SharedLayer = TestContent.RandomBytes(5000, 1);
    private static readonly byte[] WebLayer = TestContent.RandomBytes(3000, 2);
    private static readonly byte[] ApiLayer = TestContent.RandomBytes(1000, 3);
    private TestImage _web = null!, _api = null!;

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        using var client = _host.CreateClient();
        _web = Image("web", WebLayer);
        _api = Image("api", ApiLayer);
        await client.PushImageAsync("team/web", "1.0", _web);
        await client.PushManifestAsync("team/web", "latest", _web.Manifest, TestContent.OciManifest);
        await client.PushImageAsync("team/api", "1.0", _api);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private static TestImage Image(string seed, byte[] ownLayer)
    {
        var config = TestContent.Config(seed);
        return TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config),
            [TestContent.Descriptor(TestContent.OciLayer, SharedLayer), TestContent.Descriptor(TestContent.OciLayer, ownLayer)],
            [config, SharedLayer, ownLayer]);
    }

    private async Task<T> BrowseAsync<T>(Func<RegistryBrowser, Task<T>> call)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<RegistryBrowser>());
    }

    [Fact]
    public async Task Lists_repositories_with_counts_and_sizes_sorted_and_searched()
    {
        var page = await BrowseAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, null, RepositorySort.Name, false, 0, 25, default));
        Assert.Equal(2, page.Total);
        Assert.Equal(["team/api", "team/web"], page.Items.Select(r => r.Name));
        var web = page.Items[1];
        Assert.Equal(2, web.TagCount);
        Assert.Equal(1, web.ManifestCount);
        Assert.Equal(_web.Blobs.Sum(b => (long)b.Length), web.Size);
        Assert.NotNull(web.LastPush);

        var bySize = await BrowseAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, null, RepositorySort.Size, true, 0, 25, default));
        Assert.Equal("team/web", bySize.Items[0].Name);
        var searched = await BrowseAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, "API", RepositorySort.Name, false, 0, 25, default));
        Assert.Equal(["team/api"], searched.Items.Select(r => r.Name));
        var second = await BrowseAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, null, RepositorySort.Name, false, 1, 1, default));
        Assert.Equal(["team/web"], second.Items.Select(r => r.Name));
        Assert.Equal(2, second.Total);
    }

    [Fact]
    public async Task Totals_count_what_is_stored()
    {
        var totals = await BrowseAsync(b => b.TotalsAsync(RepositoryVisibility.Everything, default));
        Assert.Equal(2, totals.Repositories);
        Assert.Equal(3, totals.Tags);
        Assert.Equal(2, totals.Manifests);
        // Two configs, three layers and two manifests' own bytes.
        Assert.Equal(7, totals.Blobs);
    }

    [Fact]
    public async Task Tags_show_digest_size_and_platform()
    {
        var page = await BrowseAsync(b => b.TagsAsync(RepositoryVisibility.Everything, "team/web", null, TagSort.Name, false, 0, 25, default));
        Assert.NotNull(page);
        var tags = page.Items;
        Assert.Equal(2, page.Total);
        Assert.Equal(["1.0", "latest"], tags.Select(t => t.Tag));
        Assert.All(tags, t => Assert.Equal(_web.Digest, t.Digest));
        // Compressed size: the config and the layers (the manifest's own JSON is not part of the image).
        Assert.Equal(_web.Blobs.Sum(b => (long)b.Length), tags[0].TotalSize);

        // Newest first by default; the search is a case-insensitive substring.
        var newest = await BrowseAsync(b => b.TagsAsync(RepositoryVisibility.Everything, "team/web", null, TagSort.Pushed, true, 0, 25, default));
        Assert.Equal("latest", newest!.Items[0].Tag);
        var searched = await BrowseAsync(b => b.TagsAsync(RepositoryVisibility.Everything, "team/web", "LAT", TagSort.Pushed, true, 0, 25, default));
        Assert.Equal(["latest"], searched!.Items.Select(t => t.Tag));
    }

    [Fact]
    public async Task A_shared_layer_names_every_repository_that_uses_it()
    {
        var uses = (await BrowseAsync(b => b.BlobUsesAsync(RepositoryVisibility.Everything, Digests.Sha256(SharedLayer), false, 0, 25, default))).Items;
        Assert.Equal(["team/api", "team/web"], uses.Select(u => u.Repository));
        Assert.Equal(["1.0", "latest"], uses.Single(u => u.Repository == "team/web").Tags);
        Assert.All(uses, u => Assert.Equal("layer", u.Kind));
    }

    [Fact]
    public async Task Sharing_splits_unique_from_shared_bytes()
    {
        var sharing = await BrowseAsync(b => b.SharingAsync(RepositoryVisibility.Everything, "team/web", default));
        Assert.NotNull(sharing);
        Assert.Equal(1, sharing.SharedWithCount);
        Assert.Equal(["team/api"], sharing.Largest.Select(s => s.Repository));
        var page = await BrowseAsync(b => b.SharedWithAsync(RepositoryVisibility.Everything, "team/web", SharingSort.Bytes, true, 0, 25, default));
        Assert.Equal(1, page!.Total);
        var shared = Assert.Single(page.Items);
        Assert.Equal("team/api", shared.Repository);
        Assert.Equal(1, shared.Layers);
        Assert.Equal(SharedLayer.Length, shared.Bytes);
        Assert.Equal(SharedLayer.Length, sharing.SharedBytes);
        Assert.Equal(sharing.TotalBytes - SharedLayer.Length, sharing.UniqueBytes);
    }

    [Fact]
    public async Task Manifest_details_list_layers_and_tags()
    {
        var details = await BrowseAsync(b => b.ManifestAsync(RepositoryVisibility.Everything, "team/web", _web.Digest, default));
        Assert.NotNull(details);
        Assert.Equal(["1.0", "latest"], details.Tags);
        Assert.Equal([Digests.Sha256(SharedLayer), Digests.Sha256(WebLayer)], details.Layers.Select(l => l.Digest));
        Assert.False(details.IsIndex);
        Assert.Null(await BrowseAsync(b => b.ManifestAsync(RepositoryVisibility.Everything, "team/api", _web.Digest, default)));
        Assert.Contains("\"schemaVersion\": 2", details.ManifestJson);
        Assert.NotNull(details.ConfigJson);
    }

    [Fact]
    public async Task A_reader_granted_one_prefix_sees_only_those_repositories_everywhere()
    {
        var teamWeb = RepositoryVisibility.Under(["team/web"]);
        var page = await BrowseAsync(b => b.RepositoriesAsync(teamWeb, null, RepositorySort.Name, false, 0, 25, default));
        Assert.Equal(["team/web"], page.Items.Select(r => r.Name));
        Assert.Equal(1, page.Total);

        var totals = await BrowseAsync(b => b.TotalsAsync(teamWeb, default));
        Assert.Equal(1, totals.Repositories);
        Assert.Equal(2, totals.Tags);
        Assert.Equal(1, totals.Manifests);
        // The blobs linked into team/web (its config and two layers), not the api image's own layer or config.
        Assert.Equal(3, totals.Blobs);

        var uses = await BrowseAsync(b => b.BlobUsesAsync(teamWeb, Digests.Sha256(SharedLayer), false, 0, 25, default));
        Assert.Equal(["team/web"], uses.Items.Select(u => u.Repository));
        var blob = await BrowseAsync(b => b.BlobAsync(teamWeb, Digests.Sha256(SharedLayer), default));
        Assert.Equal(1, blob!.Repositories);
        Assert.Null(await BrowseAsync(b => b.BlobAsync(teamWeb, Digests.Sha256(ApiLayer), default)));

        Assert.Null(await BrowseAsync(b => b.ManifestAsync(teamWeb, "team/api", _api.Digest, default)));
        Assert.Null(await BrowseAsync(b => b.TagsAsync(teamWeb, "team/api", null, TagSort.Pushed, true, 0, 25, default)));
        var sharing = await BrowseAsync(b => b.SharingAsync(teamWeb, "team/web", default));
        Assert.Equal(0, sharing!.SharedWithCount);
        Assert.Empty(sharing.Largest);
        Assert.Equal(0, sharing.SharedBytes);
        Assert.Equal(sharing.TotalBytes, sharing.UniqueBytes);
        Assert.Empty((await BrowseAsync(b => b.SharedWithAsync(teamWeb, "team/web", SharingSort.Bytes, true, 0, 25, default)))!.Items);
        Assert.Null(await BrowseAsync(b => b.SharingAsync(teamWeb, "team/api", default)));
        Assert.Null(await BrowseAsync(b => b.SharedWithAsync(teamWeb, "team/api", SharingSort.Bytes, true, 0, 25, default)));

        var nothing = await BrowseAsync(b => b.RepositoriesAsync(RepositoryVisibility.Nothing, null, RepositorySort.Name, false, 0, 25, default));
        Assert.Equal(0, nothing.Total);
    }

    [Theory]
    [InlineData("team", "team/web", true)]
    [InlineData("team", "team", true)]
    [InlineData("team", "teamwork/web", false)]
    [InlineData("team/web", "team/api", false)]
    public void A_prefix_covers_whole_path_components(string prefix, string repository, bool allowed) =>
        Assert.Equal(allowed, RepositoryVisibility.Under([prefix]).Allows(repository));

    [Fact]
    public void History_entries_pair_with_the_layers_they_made()
    {
        LayerInfo a = new("sha256:a", "t", 1), b = new("sha256:b", "t", 2);
        var steps = BuildSteps.Pair([new("t1", "ADD a", false), new("t2", "ENV x=1", true), new("t3", "RUN b", false)], [a, b]);
        Assert.Equal([a, null, b], steps.Select(s => s.Layer));
        Assert.Equal("ENV x=1", steps[1].History!.CreatedBy);
    }
}
