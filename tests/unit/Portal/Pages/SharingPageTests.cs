using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Components.Pages;
using Wharf.Portal.Components.Shared;
using Wharf.Portal.Data;
using Wharf.Registry.Browse;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// Layer sharing and a shared layer's "used by" list when they hold more than a page: team-a/app shares its base
/// layer with 26 team-a/lib-NN repositories and with team-b/other, which also shares app's second layer. An Admin sees
/// all 27; alice (granted team-a) sees the 26 team-a ones, in the rows, the totals and the byte counts.
/// </summary>
public sealed class SharingPageTests : IClassFixture<SharingPageTests.Registry>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const int Libraries = 26;

    public sealed class Registry : IAsyncLifetime
    {
        public PortalPageHost Host { get; } = new();
        public byte[] BaseLayer { get; } = TestContent.RandomBytes(4000, 21);
        public byte[] AppLayer { get; } = TestContent.RandomBytes(3000, 22);
        public byte[] AppConfig { get; } = TestContent.Config("sharing-app");

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            await Host.PushAsync("team-a/app", "1.0", Image(AppConfig, BaseLayer, AppLayer));
            for (var i = 0; i < Libraries; i++)
                await Host.PushAsync($"team-a/lib-{i:00}", "1.0", Image(TestContent.Config($"lib-{i}"), BaseLayer, TestContent.RandomBytes(1000, 100 + i)));
            await Host.PushAsync("team-b/other", "1.0", Image(TestContent.Config("sharing-other"), BaseLayer, AppLayer));
            await Host.Wharf.CreateUserAsync("alice", PortalPageHost.Password);
            await Host.Wharf.GrantAsync("team-a", GrantSubjectKind.User, "alice", RepositoryActions.Pull);
        }

        private static TestImage Image(byte[] config, params byte[][] layers) =>
            TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config),
                layers.Select(l => TestContent.Descriptor(TestContent.OciLayer, l)).ToList(), [config, .. layers]);

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Registry _registry;

    public SharingPageTests(Registry registry) => _registry = registry;

    private Task<PageContext> AsAsync(string user) => _registry.Host.SignedInAsAsync(user);

    private static string Uri(PageContext context) => context.Bunit.Services.GetRequiredService<NavigationManager>().Uri;

    private static IEnumerable<string> Libs(int from, int count) => Enumerable.Range(from, count).Select(i => $"team-a/lib-{i:00}");

    [Fact]
    public async Task An_admin_pages_through_every_repository_sharing_layers_most_bytes_first()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.RenderAt<Sharing>(Links.Sharing("team-a/app"));
        // team-b/other shares two layers (7,000 bytes), each library one (4,000): the server sorts by bytes, then name.
        cut.WaitForAssertion(() => Assert.Equal(["team-b/other", .. Libs(0, 24)], SharedWith(cut)), Wait);
        Assert.Contains("of 27", cut.Find("#shared-with .mud-table-pagination").TextContent);
        Assert.Equal("27", cut.Find("#shared-with-count").TextContent.Trim());
        Assert.Equal(_registry.BaseLayer.Length + _registry.AppLayer.Length, SharedBytes(cut));

        cut.Find("#shared-with button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(Libs(24, 2), SharedWith(cut)), Wait);
        Assert.Contains("page=2", Uri(admin));
    }

    [Fact]
    public async Task The_sort_in_the_address_reaches_the_server()
    {
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.RenderAt<Sharing>(Links.Sharing("team-a/app") + "&sort=repository&desc=true");
            cut.WaitForAssertion(() => Assert.Equal(["team-b/other", .. Libs(2, 24).Reverse()], SharedWith(cut)), Wait);
        }
        // A second tab: its own address, so the first page's grid does not write over it.
        await using var other = await AsAsync(AccessHost.AdminUser);
        var ascending = other.RenderAt<Sharing>(Links.Sharing("team-a/app") + "&sort=repository&desc=false&page=2");
        ascending.WaitForAssertion(() => Assert.Equal(["team-a/lib-25", "team-b/other"], SharedWith(ascending)), Wait);

        // What the grid asks the engine for is one page, and the total it pages through.
        var page = await _registry.Host.Wharf.AsUserAsync(AccessHost.AdminUser, (sp, _) => sp.GetRequiredService<RegistryBrowser>()
            .SharedWithAsync(RepositoryVisibility.Everything, "team-a/app", SharingSort.Layers, true, 0, 1, default));
        Assert.Equal(27, page!.Total);
        Assert.Equal([new SharedWith("team-b/other", 2, _registry.BaseLayer.Length + _registry.AppLayer.Length)], page.Items);
    }

    [Fact]
    public async Task A_team_a_user_sees_only_team_a_rows_counts_and_bytes()
    {
        await using var alice = await AsAsync("alice");
        var cut = alice.RenderAt<Sharing>(Links.Sharing("team-a/app"));
        cut.WaitForAssertion(() => Assert.Equal(Libs(0, 25), SharedWith(cut)), Wait);
        Assert.Contains("of 26", cut.Find("#shared-with .mud-table-pagination").TextContent);
        Assert.Equal("26", cut.Find("#shared-with-count").TextContent.Trim());
        // Only the base layer is shared with what alice may see: app's own layer counts as unique for her.
        Assert.Equal(_registry.BaseLayer.Length, SharedBytes(cut));
        Assert.DoesNotContain("team-b", cut.Markup);

        cut.Find("#shared-with button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(Libs(25, 1), SharedWith(cut)), Wait);
        Assert.DoesNotContain("team-b", cut.Markup);
    }

    [Fact]
    public async Task A_shared_layer_pages_its_users_on_the_server_and_shows_a_team_a_user_only_team_a()
    {
        var digest = Digests.Sha256(_registry.BaseLayer);
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.RenderAt<Blob>(Links.Blob(digest));
            cut.WaitForAssertion(() => Assert.Equal(["team-a/app", .. Libs(0, 24)], BlobUsers(cut)), Wait);
            Assert.Contains("28 manifests in 28 repositories", cut.Find("#blob-summary").TextContent);
            Assert.Contains("of 28", cut.Find("#blob-uses .mud-table-pagination").TextContent);
            cut.Find("#blob-uses button[aria-label='Next page']").Click();
            cut.WaitForAssertion(() => Assert.Equal([.. Libs(24, 2), "team-b/other"], BlobUsers(cut)), Wait);
            Assert.Contains("page=2", Uri(admin));
        }
        await using var alice = await AsAsync("alice");
        var own = alice.RenderAt<Blob>(Links.Blob(digest));
        own.WaitForAssertion(() => Assert.Equal(["team-a/app", .. Libs(0, 24)], BlobUsers(own)), Wait);
        Assert.Contains("27 manifests in 27 repositories", own.Find("#blob-summary").TextContent);
        Assert.Contains("of 27", own.Find("#blob-uses .mud-table-pagination").TextContent);
        own.Find("#blob-uses button[aria-label='Next page']").Click();
        own.WaitForAssertion(() => Assert.Equal(Libs(24, 2), BlobUsers(own)), Wait);
        Assert.DoesNotContain("team-b", own.Markup);
    }

    private static IReadOnlyList<string> SharedWith<T>(IRenderedComponent<T> cut) where T : IComponent =>
        cut.FindAll("#shared-with a.shared-with-link").Select(a => a.TextContent.Trim()).ToList();

    private static IReadOnlyList<string> BlobUsers<T>(IRenderedComponent<T> cut) where T : IComponent =>
        cut.FindAll("#blob-uses tbody tr").Select(r => r.QuerySelector("td")!.TextContent.Trim()).ToList();

    /// <summary>The exact shared byte count, from the title the Bytes component gives its rounded text.</summary>
    private static long SharedBytes<T>(IRenderedComponent<T> cut) where T : IComponent =>
        long.Parse(cut.FindAll("#sharing-summary span[title]")[2].GetAttribute("title")!.Split(' ')[0].Replace(",", ""));
}
