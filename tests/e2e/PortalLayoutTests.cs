using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// The portal as people use it, in headless Chromium at 1400×900 and 390×844, light and dark: every page reachable
/// from the navigation, what a user granted team-a/ sees, an Admin demoted while another tab is open, an index's size,
/// the theme toggle and the garbage-collection page. No console error anywhere. Screenshots of every page go to
/// docs/screenshots (the README shows them).
/// </summary>
public sealed class PortalLayoutTests : IAsyncLifetime
{
    private const string AdminPassword = "layout-admin-secret-1";
    private const string UserPassword = "layout-user-secret-22";

    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private Browser _browser = null!;
    private OciLayout.Image _app = null!;
    private string _indexDigest = "";
    private IReadOnlyList<OciLayout.Image> _platforms = [];

    private static readonly (string Id, string Heading)[] Navigation =
    [
        ("nav-overview", "Overview"), ("nav-repositories", "Repositories"), ("nav-tokens", "Your access tokens"), ("nav-account", "Your account"),
        ("nav-upstreams", "Upstreams"), ("nav-gc", "Garbage collection"), ("nav-notifications", "Notifications"), ("nav-audit", "Audit trail"), ("nav-instances", "Instances"), ("nav-users", "Users"),
        ("nav-access", "Repository access"), ("nav-all-tokens", "All access tokens"),
    ];

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"), new Dictionary<string, string>
        {
            ["WHARF_ADMIN_USER"] = "admin",
            ["WHARF_ADMIN_PASSWORD"] = AdminPassword,
            // Open tabs re-check their user every 2 s here (a minute at most in production), so the demotion test waits for seconds.
            ["Wharf__Portal__RevalidationInterval"] = "00:00:02",
        });
        var layout = new OciLayout(_temp.Combine("images"));
        _app = layout.AddImage("app", [(1, 400_000), (2, 200_000)]);
        layout.AddImage("other", [(1, 400_000), (3, 100_000)]);
        (_indexDigest, _platforms) = layout.AddIndex("multi", [("amd64", [(4, 150_000), (6, 50_000)]), ("arm64", [(5, 120_000)])]);
        foreach (var (source, target, all) in new[] { ("app", "team-a/app:1.0", false), ("other", "team-b/other:1.0", false), ("multi", "team-a/multi:1", true) })
        {
            string[] args = ["copy", "--dest-tls-verify=false", .. (all ? new[] { "--all" } : []), $"oci:{layout.Directory}:{source}", $"docker://{_wharf.HostPort}/{target}"];
            await ExternalTool.SkopeoOkAsync(args);
        }
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        var log = Path.Combine(RepositoryRoot.Find(), "artifacts", "portal-layout-tests.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.AppendAllTextAsync(log, $"--- browser errors\n{string.Join('\n', _browser.Errors)}\n--- wharf log\n{_wharf.Log}\n");
        await _browser.DisposeAsync();
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>No console or page error, except Chromium's own note that the 404 page answered 404.</summary>
    private void NoBrowserErrors()
    {
        var errors = _browser.Errors.Where(e => !(e.Contains("/no/such/page") && e.Contains("status of 404"))).ToList();
        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors));
    }

    private static async Task ShotAsync(IPage page, string name, (int Width, int Height) size, ColorScheme scheme)
    {
        var directory = Path.Combine(RepositoryRoot.Find(), "docs", "screenshots");
        Directory.CreateDirectory(directory);
        var file = $"{name}-{(size.Width > 1000 ? "wide" : "narrow")}-{(scheme == ColorScheme.Dark ? "dark" : "light")}.png";
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, file) });
    }

    private static async Task OpenFromNavigationAsync(IPage page, string id, string heading, (int Width, int Height) size)
    {
        // On a phone the drawer is closed: the menu button opens it.
        if (size.Width < 960)
        {
            await Assertions.Expect(page.Locator("#drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
            await page.ClickAsync("#menu-button");
            await Assertions.Expect(page.Locator("#drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        }
        await page.ClickAsync($"#{id}");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(heading);
    }

    [Theory]
    [InlineData(1400, 900, false)]
    [InlineData(390, 844, false)]
    [InlineData(1400, 900, true)]
    [InlineData(390, 844, true)]
    public async Task Every_page_is_reachable_from_the_navigation(int width, int height, bool dark)
    {
        var size = (width, height);
        var scheme = dark ? ColorScheme.Dark : ColorScheme.Light;
        var signIn = await _browser.NewPageAsync(_wharf.BaseUrl, size, scheme);
        await signIn.GotoAsync("/account/login");
        await Assertions.Expect(signIn.Locator("#sign-in")).ToBeVisibleAsync();
        await ShotAsync(signIn, "sign-in", size, scheme);
        await signIn.Context.CloseAsync();
        var page = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword, startAt: "/", size: size, scheme: scheme);
        foreach (var (id, heading) in Navigation)
        {
            await OpenFromNavigationAsync(page, id, heading, size);
            await ShotAsync(page, id["nav-".Length..], size, scheme);
        }

        // The pages reached through links: a repository, an index, an image, a layer, layer sharing, the delete dialog, a 404.
        await OpenFromNavigationAsync(page, "nav-repositories", "Repositories", size);
        await page.ClickAsync("#repositories a.repository-link:has-text('team-a/app')");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("team-a/app");
        await Assertions.Expect(page.Locator("#tags")).ToContainTextAsync($"docker pull {_wharf.HostPort}/team-a/app:1.0");
        await ShotAsync(page, "repository", size, scheme);
        await page.ClickAsync("#tags a.tag-link");
        await Assertions.Expect(page.Locator("#manifest-digest")).ToHaveTextAsync(_app.ManifestDigest);
        await Assertions.Expect(page.Locator("#config-workdir")).ToBeVisibleAsync();
        await ShotAsync(page, "manifest", size, scheme);
        await page.ClickAsync("#delete-manifest");
        await Assertions.Expect(page.Locator("#delete-digest")).ToHaveTextAsync(_app.ManifestDigest);
        await Assertions.Expect(page.Locator("#delete-dialog")).ToBeInViewportAsync();
        await ShotAsync(page, "delete-confirm", size, scheme);
        await page.ClickAsync("#delete-cancel");
        await page.Locator("#layers a.layer-link").First.ClickAsync();
        await Assertions.Expect(page.Locator("#blob-uses")).ToContainTextAsync("team-b/other");
        await ShotAsync(page, "blob", size, scheme);
        await page.GotoAsync("/sharing?repository=team-a/app");
        await Assertions.Expect(page.Locator("#shared-with")).ToContainTextAsync("team-b/other");
        await ShotAsync(page, "sharing", size, scheme);
        await page.GotoAsync($"/manifest?repository=team-a/multi&digest={Uri.EscapeDataString(_indexDigest)}");
        await Assertions.Expect(page.Locator("#children")).ToContainTextAsync("linux/arm64");
        await ShotAsync(page, "index", size, scheme);
        await page.GotoAsync("/no/such/page");
        await Assertions.Expect(page.Locator("#not-found")).ToContainTextAsync("no page at this address");
        await ShotAsync(page, "not-found", size, scheme);
        NoBrowserErrors();
    }

    [Fact]
    public async Task An_index_size_is_the_sum_of_its_platforms_configs_and_layers()
    {
        var page = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword);
        await page.GotoAsync($"/manifest?repository=team-a/multi&digest={Uri.EscapeDataString(_indexDigest)}");
        await Assertions.Expect(page.Locator(".child-size")).ToHaveCountAsync(2);
        var children = await page.Locator(".child-size").EvaluateAllAsync<long[]>("els => els.map(e => Number(e.dataset.bytes))");
        var total = long.Parse(await page.Locator("#index-total [data-bytes]").GetAttributeAsync("data-bytes") ?? "0");
        var expected = _platforms.Sum(p => p.Config.Size + p.Layers.Sum(l => l.Size));
        Assert.Equal(expected, children.Sum());
        Assert.Equal(expected, total);
        await page.GotoAsync("/repository?name=team-a/multi");
        await Assertions.Expect(page.Locator($"#tags span[title='{expected:N0} bytes']")).ToHaveCountAsync(1);
        NoBrowserErrors();
    }

    [Fact]
    public async Task The_theme_follows_the_browser_and_the_toggle_switches_it()
    {
        var page = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword, scheme: ColorScheme.Dark);
        // Checked through the locator's computed style: the portal's CSP forbids the eval a string predicate needs.
        var layout = page.Locator("body");
        await Assertions.Expect(page.Locator("#theme-toggle")).ToBeVisibleAsync();
        await Assertions.Expect(layout).ToHaveCSSAsync("background-color", "rgb(22, 24, 29)");
        await page.ClickAsync("#theme-toggle");
        await Assertions.Expect(layout).ToHaveCSSAsync("background-color", "rgb(246, 248, 250)");
        // The choice is kept in this browser.
        await page.ReloadAsync();
        await Assertions.Expect(layout).ToHaveCSSAsync("background-color", "rgb(246, 248, 250)");
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_user_granted_team_a_sees_only_team_a_and_a_demoted_admin_loses_the_admin_pages_in_an_open_tab()
    {
        var admin = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword);
        foreach (var (name, role) in new[] { ("alice", "Viewer"), ("boss", "Admin") })
        {
            await admin.GotoAsync("/users");
            await admin.FillAsync("#new-user", name);
            await admin.FillAsync("#new-password", UserPassword);
            if (role == "Admin")
            {
                // The id lands on the select's hidden input; the visible control is its parent.
                await admin.Locator("#new-role").Locator("xpath=..").ClickAsync();
                await admin.Locator(".mud-popover-open").GetByText("Admin", new() { Exact = true }).ClickAsync();
            }
            await admin.ClickAsync("#add-user");
            await Assertions.Expect(admin.Locator("#users")).ToContainTextAsync(name);
        }
        await admin.GotoAsync("/access");
        await admin.FillAsync("#grant-prefix", "team-a");
        await admin.FillAsync("#grant-subject", "alice");
        await admin.ClickAsync("#add-grant");
        await Assertions.Expect(admin.Locator("#grants")).ToContainTextAsync("user alice");

        var alice = await _browser.SignInAsync(_wharf.BaseUrl, "alice", UserPassword);
        await Assertions.Expect(alice.Locator("#total-repositories .n")).ToHaveTextAsync("2");
        await Assertions.Expect(alice.Locator("#largest-chart")).Not.ToContainTextAsync("team-b");
        await alice.GotoAsync("/repositories");
        await Assertions.Expect(alice.Locator("#repositories a.repository-link")).ToHaveCountAsync(2);
        await Assertions.Expect(alice.Locator("#repositories")).Not.ToContainTextAsync("team-b");
        await alice.FillAsync("#repository-search", "other");
        await Assertions.Expect(alice.Locator("#repositories a.repository-link")).ToHaveCountAsync(0);
        await alice.GotoAsync($"/blob?digest={Uri.EscapeDataString(_app.Layers[0].Digest)}");
        await Assertions.Expect(alice.Locator("#blob-uses")).ToContainTextAsync("team-a/app");
        await Assertions.Expect(alice.Locator("#blob-uses")).Not.ToContainTextAsync("team-b");
        await alice.GotoAsync("/sharing?repository=team-a/app");
        await Assertions.Expect(alice.Locator("#shares-nothing")).ToBeVisibleAsync();
        await alice.GotoAsync("/repository?name=team-b/other");
        await Assertions.Expect(alice.Locator("#not-visible")).ToContainTextAsync("not found or not allowed");
        await alice.GotoAsync("/manifest?repository=team-b/other&digest=" + Uri.EscapeDataString(_app.ManifestDigest));
        await Assertions.Expect(alice.Locator("#not-visible")).ToContainTextAsync("not found or not allowed");

        // boss has the Users page open; admin demotes boss in another browser; boss's tab loses it without a reload.
        var boss = await _browser.SignInAsync(_wharf.BaseUrl, "boss", UserPassword);
        await boss.ClickAsync("#nav-users");
        await Assertions.Expect(boss.Locator("#users")).ToBeVisibleAsync();
        await admin.GotoAsync("/users");
        var row = admin.Locator("#users tr", new() { HasText = "boss" });
        await row.Locator(".role-select").ClickAsync();
        await admin.Locator(".mud-popover-open").GetByText("Viewer", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync("Saved");
        // The notification sits clear of the first rows' controls.
        var note = await admin.Locator(".mud-snackbar").First.BoundingBoxAsync();
        foreach (var control in await admin.Locator("#users tbody tr").First.Locator("button, .role-select").AllAsync())
            Assert.False(Overlap(note!, (await control.BoundingBoxAsync())!), "a notification covers a control of the first row");
        await Assertions.Expect(boss.Locator("#role-denied")).ToContainTextAsync("your role does not allow this page", new() { Timeout = 60_000 });
        await Assertions.Expect(boss.Locator("#nav-users")).ToHaveCountAsync(0);

        // A refused change leaves the control showing the real value: the admin cannot demote themself.
        var self = admin.Locator("#users tr", new() { HasText = "admin" }).First;
        await self.Locator(".role-select").ClickAsync();
        await admin.Locator(".mud-popover-open").GetByText("Viewer", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-snackbar").Last).ToContainTextAsync("Admin role from yourself");
        await Assertions.Expect(self.Locator(".role-select input")).ToHaveValueAsync("Admin");
        NoBrowserErrors();
    }

    private static bool Overlap(LocatorBoundingBoxResult a, LocatorBoundingBoxResult b) =>
        a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;

    [Fact]
    public async Task The_garbage_collection_page_explains_the_grace_period()
    {
        var page = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword);
        await page.GotoAsync("/gc");
        await Assertions.Expect(page.Locator("#grace-period")).ToContainTextAsync("grace period of 1 day");
        await page.ClickAsync("#gc-preview");
        await Assertions.Expect(page.Locator("#gc-summary")).ToContainTextAsync("eligible now");
        await Assertions.Expect(page.Locator("#gc-waiting")).ToBeVisibleAsync();
        await page.ClickAsync("#gc-collect");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("cannot be undone");
        await page.Locator(".mud-dialog").GetByText("Cancel").ClickAsync();
        NoBrowserErrors();
    }
}
