using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Browse;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Browse;

/// <summary>
/// The tag list's platform column comes from the manifest row (read from the config once, when the manifest is
/// recorded), and a list's queries do not grow with its rows.
/// </summary>
public sealed class TagPlatformTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private static TestImage ArmImage(string seed)
    {
        var config = TestContent.Serialize(new JsonObject
        {
            ["architecture"] = "arm64",
            ["os"] = "linux",
            ["variant"] = "v8",
            ["author"] = seed,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        });
        var layer = TestContent.Layer(seed);
        return TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config), [TestContent.Descriptor(TestContent.OciLayer, layer)], [config, layer]);
    }

    private async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> call)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await call(scope.ServiceProvider);
    }

    private Task<Page<TagSummary>?> TagsAsync(string repository, int take = 25) =>
        InScopeAsync(s => s.GetRequiredService<RegistryBrowser>().TagsAsync(RepositoryVisibility.Everything, repository, null, TagSort.Name, false, 0, take, default));

    private Task<string?> RecordedPlatformAsync(string digest) =>
        InScopeAsync(s => s.GetRequiredService<RegistryDbContext>().Manifests.Where(m => m.Digest == digest).Select(m => m.Platform).SingleAsync());

    [Fact]
    public async Task A_push_records_the_platform_and_the_tag_list_reads_it_from_the_row_not_the_config()
    {
        using var client = _host.CreateClient();
        var image = ArmImage("arm");
        var digest = await client.PushImageAsync("team/arm", "1.0", image);
        Assert.Equal("linux/arm64/v8", await RecordedPlatformAsync(digest));

        // With the config gone from storage, the list still shows the platform: it never reads the blob.
        await InScopeAsync(async s =>
        {
            await s.GetRequiredService<BlobStore>().DeleteAsync(Digest.Sha256Of(image.Blobs[0]), default);
            return true;
        });
        var tag = Assert.Single((await TagsAsync("team/arm"))!.Items);
        Assert.Equal(["linux/arm64/v8"], tag.Platforms);
    }

    [Fact]
    public async Task A_manifest_recorded_without_its_platform_gets_it_on_its_first_listing_and_keeps_it()
    {
        using var client = _host.CreateClient();
        var digest = await client.PushImageAsync("team/old", "1.0", ArmImage("old"));
        // As a row written before Wharf kept the platform (or a cached manifest whose config came later).
        await InScopeAsync(s => s.GetRequiredService<RegistryDbContext>().Manifests.ExecuteUpdateAsync(u => u.SetProperty(m => m.Platform, (string?)null)));

        Assert.Equal(["linux/arm64/v8"], Assert.Single((await TagsAsync("team/old"))!.Items).Platforms);
        Assert.Equal("linux/arm64/v8", await RecordedPlatformAsync(digest));
    }

    [Fact]
    public async Task An_artifact_without_a_platform_is_recorded_as_having_none()
    {
        using var client = _host.CreateClient();
        var layer = TestContent.Layer("artifact");
        var artifact = TestContent.Manifest(TestContent.Descriptor("application/vnd.example.config.v1+json", TestContent.EmptyJson),
            [TestContent.Descriptor("application/vnd.example.data", layer)], [TestContent.EmptyJson, layer]);
        var digest = await client.PushImageAsync("team/artifact", "1.0", artifact);
        Assert.Equal("", await RecordedPlatformAsync(digest));
        Assert.Empty(Assert.Single((await TagsAsync("team/artifact"))!.Items).Platforms);
    }

    [Fact]
    public async Task An_index_shows_its_childrens_platforms()
    {
        using var client = _host.CreateClient();
        var arm = ArmImage("index-arm");
        var amd = TestContent.Image("index-amd");
        await client.PushImageAsync("team/multi", arm.Digest, arm);
        await client.PushImageAsync("team/multi", amd.Digest, amd);
        var index = TestContent.Index([arm, amd], customize: root =>
        {
            var manifests = root["manifests"]!.AsArray();
            manifests[0]!["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "arm64", ["variant"] = "v8" };
            manifests[1]!["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" };
        });
        await client.PushManifestAsync("team/multi", "1.0", index.Manifest, index.MediaType);
        var tag = Assert.Single((await TagsAsync("team/multi"))!.Items);
        Assert.Equal(["linux/arm64/v8", "linux/amd64"], tag.Platforms);
    }

    [Theory]
    [InlineData("""{"os":"linux","architecture":"arm","variant":"v7"}""", "linux/arm/v7")]
    [InlineData("""{"os":"windows","architecture":"amd64"}""", "windows/amd64")]
    [InlineData("""{"architecture":"amd64"}""", "")]
    [InlineData("""[1,2]""", "")]
    [InlineData("""not json""", "")]
    public void The_platform_is_read_from_the_config_as_an_index_names_it(string config, string platform) =>
        Assert.Equal(platform, ManifestPlatforms.FromConfig(System.Text.Encoding.UTF8.GetBytes(config)));

    /// <summary>How many SQL commands one call makes, counted on the scope's own context.</summary>
    private async Task<int> CommandsAsync(Func<RegistryBrowser, Task> call)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var browser = scope.ServiceProvider.GetRequiredService<RegistryBrowser>();
        using var counter = new CommandCounter(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
        await call(browser);
        return counter.Count;
    }

    [Fact]
    public async Task Every_list_makes_the_same_few_queries_for_two_rows_as_for_twenty()
    {
        CommandCounter.Listen();
        using var client = _host.CreateClient();
        var shared = TestContent.Layer("shared");
        TestImage Sharing(string seed)
        {
            var config = TestContent.Config(seed);
            return TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config), [TestContent.Descriptor(TestContent.OciLayer, shared)], [config, shared]);
        }
        for (var i = 0; i < 2; i++) await client.PushImageAsync("small/app", $"v{i}", Sharing($"small{i}"));
        for (var i = 0; i < 20; i++) await client.PushImageAsync("large/app", $"v{i}", Sharing($"large{i}"));
        for (var i = 0; i < 20; i++) await client.PushImageAsync($"many/app{i}", "1.0", Sharing($"many{i}"));
        var layer = Digests.Sha256(shared);
        await CommandCounter.UntilCountingAsync(() => CommandsAsync(b => b.TotalsAsync(RepositoryVisibility.Everything, default)));

        Assert.Equal(2, (await TagsAsync("small/app"))!.Items.Count);
        Assert.Equal(20, (await TagsAsync("large/app"))!.Items.Count);
        var tags = await CommandsAsync(b => b.TagsAsync(RepositoryVisibility.Everything, "small/app", null, TagSort.Pushed, true, 0, 25, default));
        Assert.Equal(tags, await CommandsAsync(b => b.TagsAsync(RepositoryVisibility.Everything, "large/app", null, TagSort.Pushed, true, 0, 25, default)));
        Assert.InRange(tags, 1, 6);

        var repositories = await CommandsAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, null, RepositorySort.Size, true, 0, 2, default));
        Assert.Equal(repositories, await CommandsAsync(b => b.RepositoriesAsync(RepositoryVisibility.Everything, null, RepositorySort.Size, true, 0, 25, default)));
        Assert.InRange(repositories, 1, 2);

        var uses = await CommandsAsync(b => b.BlobUsesAsync(RepositoryVisibility.Everything, layer, false, 0, 2, default));
        Assert.Equal(uses, await CommandsAsync(b => b.BlobUsesAsync(RepositoryVisibility.Everything, layer, false, 0, 25, default)));
        Assert.InRange(uses, 1, 3);

        var sharing = await CommandsAsync(b => b.SharedWithAsync(RepositoryVisibility.Everything, "large/app", SharingSort.Bytes, true, 0, 2, default));
        Assert.Equal(sharing, await CommandsAsync(b => b.SharedWithAsync(RepositoryVisibility.Everything, "large/app", SharingSort.Bytes, true, 0, 25, default)));
        Assert.InRange(sharing, 1, 3);
    }
}
