using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;
using Wharf.Portal.Access;
using Wharf.Portal.Components.Layout;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Portal.Pages;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Layout;

/// <summary>
/// The layout around every page, over a real Wharf (users from its database): who is signed in and their role, the
/// navigation each role is offered, the drawer and its menu button on wide and narrow screens, the light and dark
/// theme (the browser's preference until the toggle is used, then the choice kept in the browser), and the warning
/// when registry authentication is off. The browser is the edge: its answers (narrow screen, saved theme, system dark
/// mode) are bUnit's JavaScript interop.
/// </summary>
public sealed class MainLayoutTests : IClassFixture<PortalHostWithViewer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static readonly string[] AdminLinks = ["nav-upstreams", "nav-gc", "nav-notifications", "nav-audit", "nav-instances", "nav-users", "nav-access", "nav-all-tokens"];
    private static readonly string[] EveryoneLinks = ["nav-overview", "nav-repositories", "nav-tokens", "nav-account"];

    private readonly PortalHostWithViewer _wharf;

    public MainLayoutTests(PortalHostWithViewer wharf) => _wharf = wharf;

    /// <summary>What the browser answers: a narrow screen or not, the theme saved by the toggle, the system's dark mode.</summary>
    private sealed record Browser(bool Narrow = false, string? SavedTheme = null, bool SystemDark = false);

    private async Task<PageContext> SignedInAsync(string? user, Browser browser)
    {
        var context = await _wharf.Host.SignedInAsAsync(user);
        var js = context.Bunit.JSInterop;
        js.Setup<bool>("wharf.isNarrow").SetResult(browser.Narrow);
        // MudBlazor's drawer reads the window's size itself (a responsive drawer closes below its breakpoint).
        js.Setup<MudBlazor.Services.BrowserWindowSize>("mudResizeListener.getBrowserWindowSize")
            .SetResult(browser.Narrow ? new MudBlazor.Services.BrowserWindowSize { Width = 390, Height = 844 } : new MudBlazor.Services.BrowserWindowSize { Width = 1400, Height = 900 });
        js.Setup<string?>("wharf.theme.get").SetResult(browser.SavedTheme);
        js.Setup<bool>("mudThemeProvider.isDarkMode", _ => true).SetResult(browser.SystemDark);
        js.SetupVoid("wharf.theme.set", _ => true).SetVoidResult();
        return context;
    }

    private static IRenderedComponent<MainLayout> Render(PageContext context) =>
        context.Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<p id=\"page-body\">the page</p>"))));

    private static bool DrawerOpen(IRenderedComponent<MainLayout> cut) => cut.FindComponent<MudDrawer>().Instance.GetState(x => x.Open);

    // The dark palette's background, as the theme provider writes it into the page's CSS variables.
    private static bool Dark(IRenderedComponent<MainLayout> cut) =>
        cut.FindComponent<MudThemeProvider>().Markup.Contains("--mud-palette-background: rgba(22,24,29,1);", StringComparison.Ordinal);

    private static IEnumerable<string> ThemesSaved(PageContext context) =>
        context.Bunit.JSInterop.Invocations["wharf.theme.set"].Select(i => (string)i.Arguments[0]!);

    [Fact]
    public async Task An_admin_is_named_with_their_role_and_offered_every_page()
    {
        await using var admin = await SignedInAsync(AccessHost.AdminUser, new Browser());
        var cut = Render(admin);
        Assert.Equal("admin (Admin)", cut.Find("#who").TextContent.Trim());
        foreach (var id in EveryoneLinks.Concat(AdminLinks)) Assert.Single(cut.FindAll($"#drawer #{id}"));
        Assert.Equal("the page", cut.Find("#page-body").TextContent);
        Assert.Equal("account/logout", cut.Find("form.logout").GetAttribute("action"));
        Assert.Equal("post", cut.Find("form.logout").GetAttribute("method"));
    }

    [Fact]
    public async Task A_viewer_is_named_with_their_role_and_offered_no_admin_page()
    {
        await using var viewer = await SignedInAsync("viewer", new Browser());
        var cut = Render(viewer);
        Assert.Equal("viewer (Viewer)", cut.Find("#who").TextContent.Trim());
        foreach (var id in EveryoneLinks) Assert.Single(cut.FindAll($"#drawer #{id}"));
        foreach (var id in AdminLinks) Assert.Empty(cut.FindAll($"#{id}"));
        Assert.DoesNotContain("Administration", cut.Find("#drawer").TextContent);
        Assert.NotEmpty(cut.FindAll("#sign-out"));
    }

    [Fact]
    public async Task Nobody_signed_in_gets_no_name_and_no_sign_out()
    {
        await using var anonymous = await SignedInAsync(null, new Browser());
        var cut = Render(anonymous);
        Assert.Empty(cut.FindAll("#who"));
        Assert.Empty(cut.FindAll("#sign-out"));
        foreach (var id in AdminLinks) Assert.Empty(cut.FindAll($"#{id}"));
        Assert.Equal("the page", cut.Find("#page-body").TextContent);
    }

    [Fact]
    public async Task On_a_wide_screen_the_drawer_starts_open_the_menu_button_toggles_it_and_following_a_link_keeps_it_open()
    {
        await using var admin = await SignedInAsync(AccessHost.AdminUser, new Browser(Narrow: false));
        var cut = Render(admin);
        cut.WaitForAssertion(() => Assert.Single(admin.Bunit.JSInterop.Invocations["wharf.isNarrow"]), Wait);
        Assert.True(DrawerOpen(cut));
        cut.Find("#menu-button").Click();
        Assert.False(DrawerOpen(cut));
        cut.Find("#menu-button").Click();
        Assert.True(DrawerOpen(cut));

        admin.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("repositories");
        cut.WaitForAssertion(() => Assert.Equal(2, admin.Bunit.JSInterop.Invocations["wharf.isNarrow"].Count), Wait);
        Assert.True(DrawerOpen(cut));
    }

    [Fact]
    public async Task On_a_phone_the_drawer_starts_closed_the_menu_button_opens_it_and_following_a_link_closes_it()
    {
        await using var viewer = await SignedInAsync("viewer", new Browser(Narrow: true));
        var cut = Render(viewer);
        cut.WaitForAssertion(() => Assert.False(DrawerOpen(cut)), Wait);
        Assert.Equal("Menu", cut.Find("#menu-button").GetAttribute("aria-label"));
        cut.Find("#menu-button").Click();
        Assert.True(DrawerOpen(cut));

        viewer.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("repositories");
        cut.WaitForAssertion(() => Assert.False(DrawerOpen(cut)), Wait);
        // A closed drawer stays closed on the next navigation (the browser is not even asked).
        var asked = viewer.Bunit.JSInterop.Invocations["wharf.isNarrow"].Count;
        viewer.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("account");
        Assert.False(DrawerOpen(cut));
        Assert.Equal(asked, viewer.Bunit.JSInterop.Invocations["wharf.isNarrow"].Count);
    }

    [Fact]
    public async Task Without_a_choice_the_theme_follows_the_browser_also_when_it_changes()
    {
        await using var viewer = await SignedInAsync("viewer", new Browser(SystemDark: true));
        var cut = Render(viewer);
        cut.WaitForAssertion(() => Assert.True(Dark(cut)), Wait);
        Assert.Equal("Switch between light and dark theme", cut.Find("#theme-toggle").GetAttribute("aria-label"));

        var provider = cut.FindComponent<MudThemeProvider>();
        await cut.InvokeAsync(() => provider.Instance.SystemDarkModeChangedAsync(false));
        cut.WaitForAssertion(() => Assert.False(Dark(cut)), Wait);
        await cut.InvokeAsync(() => provider.Instance.SystemDarkModeChangedAsync(true));
        cut.WaitForAssertion(() => Assert.True(Dark(cut)), Wait);
        Assert.Empty(ThemesSaved(viewer));
    }

    [Fact]
    public async Task The_toggle_switches_the_theme_keeps_the_choice_and_then_ignores_the_browser()
    {
        await using var viewer = await SignedInAsync("viewer", new Browser(SystemDark: false));
        var cut = Render(viewer);
        cut.WaitForAssertion(() => Assert.Single(viewer.Bunit.JSInterop.Invocations["wharf.theme.get"]), Wait);
        cut.WaitForAssertion(() => Assert.False(Dark(cut)), Wait);

        cut.Find("#theme-toggle").Click();
        cut.WaitForAssertion(() => Assert.True(Dark(cut)), Wait);
        Assert.Equal(["dark"], ThemesSaved(viewer));

        // The browser turning light no longer matters: the choice wins.
        var provider = cut.FindComponent<MudThemeProvider>();
        await cut.InvokeAsync(() => provider.Instance.SystemDarkModeChangedAsync(false));
        Assert.True(Dark(cut));

        cut.Find("#theme-toggle").Click();
        cut.WaitForAssertion(() => Assert.False(Dark(cut)), Wait);
        Assert.Equal(["dark", "light"], ThemesSaved(viewer));
    }

    [Theory]
    [InlineData("dark", false, true)]
    [InlineData("light", true, false)]
    public async Task A_theme_chosen_earlier_wins_over_the_browser(string saved, bool systemDark, bool dark)
    {
        await using var viewer = await SignedInAsync("viewer", new Browser(SavedTheme: saved, SystemDark: systemDark));
        var cut = Render(viewer);
        cut.WaitForAssertion(() => Assert.Equal(dark, Dark(cut)), Wait);
        var provider = cut.FindComponent<MudThemeProvider>();
        await cut.InvokeAsync(() => provider.Instance.SystemDarkModeChangedAsync(!dark));
        Assert.Equal(dark, Dark(cut));
    }

    [Theory]
    [InlineData("none", true)]
    [InlineData("token", false)]
    public async Task Every_page_carries_the_warning_when_registry_authentication_is_off(string mode, bool shown)
    {
        await using var viewer = await SignedInAsync("viewer", new Browser());
        viewer.Bunit.Services.AddSingleton(AccessSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Wharf:Auth:Mode"] = mode }).Build()));
        var cut = Render(viewer);
        Assert.Equal(shown ? 1 : 0, cut.FindAll("#auth-off-banner").Count);
        Assert.Equal("the page", cut.Find("#page-body").TextContent);
    }
}
