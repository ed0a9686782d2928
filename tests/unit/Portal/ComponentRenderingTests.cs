using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Components.Shared;
using Wharf.Registry.Browse;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal;

/// <summary>The portal's data components rendered to HTML: size formatting, digests, the layer table and the sharing view.</summary>
public sealed class ComponentRenderingTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(512L, "512 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(20L * 1024 * 1024, "20.0 MiB")]
    [InlineData(3_435_973_837L, "3.2 GiB")]
    public void Sizes_are_formatted_in_binary_units(long bytes, string expected) => Assert.Equal(expected, Bytes.Format(bytes));

    [Fact]
    public async Task Bytes_shows_the_exact_count_on_hover()
    {
        var html = await ComponentRenderer.RenderAsync<Bytes>(_host.Services, new() { ["Value"] = 1536L });
        Assert.Equal("<span title=\"1,536 bytes\">1.5 KiB</span>", html);
    }

    [Fact]
    public async Task A_digest_is_shortened_and_kept_whole_in_its_title()
    {
        const string digest = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        var html = await ComponentRenderer.RenderAsync<DigestText>(_host.Services, new() { ["Value"] = digest });
        Assert.Equal($"<code class=\"digest\" title=\"{digest}\">sha256:b94d27b9934d</code>", html);
    }

    [Fact]
    public async Task The_layer_table_lists_each_layer_and_the_total()
    {
        LayerInfo[] layers =
        [
            new("sha256:" + new string('a', 64), "application/vnd.oci.image.layer.v1.tar+gzip", 2048),
            new("sha256:" + new string('b', 64), "application/vnd.oci.image.layer.v1.tar+gzip", 1024 * 1024),
        ];
        var html = await ComponentRenderer.RenderAsync<LayerTable>(_host.Services, new() { ["Layers"] = layers });
        Assert.Equal(2, CountOccurrences(html, "class=\"layer-link\""));
        Assert.Contains("/blob?digest=sha256%3A" + new string('a', 64), html);
        Assert.Contains("2.0 KiB", html);
        Assert.Contains("1.0 MiB", html);
        Assert.Contains("2 layers, <span title=\"1,050,624 bytes\">1.0 MiB</span> compressed.", html);
    }

    [Fact]
    public async Task The_sharing_view_shows_unique_and_shared_bytes_of_real_data()
    {
        using var client = _host.CreateClient();
        var shared = TestContent.RandomBytes(4096, 10);
        foreach (var (repository, seed) in new[] { ("team/web", 11), ("team/api", 12) })
        {
            var own = TestContent.RandomBytes(1024, seed);
            var config = TestContent.Config(repository);
            var image = TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config),
                [TestContent.Descriptor(TestContent.OciLayer, shared), TestContent.Descriptor(TestContent.OciLayer, own)], [config, shared, own]);
            await client.PushImageAsync(repository, "1", image);
        }
        RepositorySharing sharing;
        await using (var scope = _host.Services.CreateAsyncScope())
            sharing = (await scope.ServiceProvider.GetRequiredService<RegistryBrowser>().SharingAsync("team/web", default))!;

        var html = WebUtility.HtmlDecode(await ComponentRenderer.RenderAsync<SharingView>(_host.Services, new() { ["Sharing"] = sharing }));
        Assert.Contains("only this repository uses", html);
        Assert.Contains("4.0 KiB</span> shared with other repositories", html);
        Assert.Contains("href=\"/sharing?repository=team%2Fapi\"", html);
        Assert.Contains("unique-shared-chart", html);
        Assert.DoesNotContain("shares-nothing", html);
    }

    [Fact]
    public async Task The_sharing_view_says_when_nothing_is_shared()
    {
        var sharing = new RepositorySharing("solo", 1, 100, 100, 0, []);
        var html = await ComponentRenderer.RenderAsync<SharingView>(_host.Services, new() { ["Sharing"] = sharing });
        Assert.Contains("id=\"shares-nothing\"", html);
        Assert.DoesNotContain("shared-with-chart", html);
    }

    private static int CountOccurrences(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
