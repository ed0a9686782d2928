using Bunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Wharf.Portal.Access;
using Wharf.Portal.Components.Layout;
using Wharf.Portal.Components.Pages;
using Wharf.Portal.Components.Shared;
using Wharf.Tests.Unit.Access;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// The navigation as each role sees it, the instances page, the 404 page and the small shared pieces of the layout,
/// over a real Wharf.
/// </summary>
public sealed class LayoutPageTests : IClassFixture<PortalHostWithViewer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly PortalHostWithViewer _wharf;

    public LayoutPageTests(PortalHostWithViewer wharf) => _wharf = wharf;

    private static readonly string[] AdminLinks = ["nav-upstreams", "nav-gc", "nav-notifications", "nav-audit", "nav-instances", "nav-users", "nav-access", "nav-all-tokens"];
    private static readonly string[] EveryoneLinks = ["nav-overview", "nav-repositories", "nav-tokens", "nav-account"];

    [Fact]
    public async Task A_viewer_is_offered_the_browsing_pages_only_and_an_admin_every_page()
    {
        await using var viewer = await _wharf.Host.SignedInAsAsync("viewer");
        var menu = viewer.Render<NavMenu>();
        foreach (var id in EveryoneLinks) Assert.Single(menu.FindAll($"#{id}"));
        foreach (var id in AdminLinks) Assert.Empty(menu.FindAll($"#{id}"));

        await using var admin = await _wharf.Host.SignedInAsAsync(AccessHost.AdminUser);
        var all = admin.Render<NavMenu>();
        foreach (var id in EveryoneLinks.Concat(AdminLinks)) Assert.Single(all.FindAll($"#{id}"));
    }

    [Fact]
    public async Task The_instances_page_lists_the_running_instance_and_refreshes()
    {
        await using var admin = await _wharf.Host.SignedInAsAsync(AccessHost.AdminUser);
        var cut = admin.Render<Instances>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#instances tbody tr")), Wait);
        var rows = cut.FindAll("#instances tbody tr").Count;
        cut.Find("#refresh-instances").Click();
        cut.WaitForAssertion(() => Assert.Equal(rows, cut.FindAll("#instances tbody tr").Count), Wait);
    }

    [Fact]
    public async Task The_not_found_page_says_so_and_links_back()
    {
        await using var viewer = await _wharf.Host.SignedInAsAsync("viewer");
        var cut = viewer.Render<NotFound>();
        Assert.Contains("There is no page at this address", cut.Find("#not-found").TextContent);
        Assert.Contains(cut.FindAll("#not-found a"), a => a.GetAttribute("href") == "repositories");
        Assert.Equal("Page not found", cut.Find("h1").TextContent.Trim());
    }

    [Fact]
    public async Task A_stat_card_shows_its_number_and_what_it_counts()
    {
        await using var viewer = await _wharf.Host.SignedInAsAsync("viewer");
        var cut = viewer.Render<StatCard>(p => p.Add(x => x.Label, "Repositories").Add(x => x.Id, "total").AddChildContent("42"));
        Assert.Equal("42", cut.Find("#total .n").TextContent.Trim());
        Assert.Contains("Repositories", cut.Find("#total").TextContent);
    }

    [Theory]
    [InlineData("none", true)]
    [InlineData("token", false)]
    public async Task The_banner_warns_when_registry_authentication_is_off(string mode, bool shown)
    {
        await using var context = new BunitContext();
        context.Services.AddMudServices();
        context.Services.AddSingleton(AccessSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Wharf:Auth:Mode"] = mode }).Build()));
        var cut = context.Render<AuthOffBanner>();
        Assert.Equal(shown ? 1 : 0, cut.FindAll("#auth-off-banner").Count);
        if (shown) Assert.Contains("anyone who can reach this server", cut.Markup);
    }
}
