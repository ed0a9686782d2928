using System.Net;
using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// The admin portal in real headless Chromium, against a running Wharf that skopeo pushed images into: sign in,
/// browse, layers, layer sharing, delete (checked through /v2), the audit trail, and what a Viewer may not do.
/// </summary>
public sealed class PortalTests : IAsyncLifetime
{
    private const string AdminPassword = "portal-admin-secret-1";
    private const string ViewerPassword = "portal-viewer-secret-2";

    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private Browser _browser = null!;
    private OciLayout.Image _web = null!, _api = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"), new Dictionary<string, string>
        {
            ["WHARF_ADMIN_USER"] = "admin",
            ["WHARF_ADMIN_PASSWORD"] = AdminPassword,
        });
        var layout = new OciLayout(_temp.Combine("images"));
        // web and api share their base layer (seed 1).
        _web = layout.AddImage("web", [(1, 600_000), (2, 300_000)]);
        _api = layout.AddImage("api", [(1, 600_000), (3, 200_000)]);
        layout.AddIndex("multi", [("amd64", [(4, 100_000)]), ("arm64", [(5, 100_000)])]);
        foreach (var (source, target, all) in new[] { ("web", "team/web:1.0", false), ("web", "team/web:latest", false), ("api", "team/api:1.0", false), ("multi", "team/multi:1", true) })
        {
            string[] args = ["copy", "--dest-tls-verify=false", .. (all ? new[] { "--all" } : []), $"oci:{layout.Directory}:{source}", $"docker://{_wharf.HostPort}/{target}"];
            await ExternalTool.SkopeoOkAsync(args);
        }
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        // What the browser and the server said, for whoever reads a failed run.
        var log = Path.Combine(RepositoryRoot.Find(), "artifacts", "portal-tests.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.AppendAllTextAsync(log, $"--- browser errors\n{string.Join('\n', _browser.Errors)}\n--- wharf log\n{_wharf.Log}\n");
        await _browser.DisposeAsync();
        await _wharf.DisposeAsync();
        if (Environment.GetEnvironmentVariable("WHARF_KEEP") is null) _temp.Dispose(); else Console.WriteLine("KEPT " + _temp.Path);
    }

    /// <summary>Signs in starting from the root, which must send an anonymous browser to the sign-in page.</summary>
    private Task<IPage> SignInAsync(string user, string password) => _browser.SignInAsync(_wharf.BaseUrl, user, password, startAt: "/");

    [Fact]
    public async Task Admin_browses_deletes_and_finds_the_delete_in_the_audit_trail()
    {
        var page = await SignInAsync("admin", AdminPassword);
        await Assertions.Expect(page.Locator("#total-repositories .n")).ToHaveTextAsync("3");
        // The chart draws once it knows its size; its category axis names the repositories.
        await Assertions.Expect(page.Locator("#largest-chart")).ToContainTextAsync("team/web");
        await Browser.ScreenshotAsync(page, "overview");

        await page.GotoAsync("/repositories");
        await page.WaitForSelectorAsync("#repositories a:has-text('team/web')");
        await Assertions.Expect(page.Locator("#repositories a:has-text('team/api')")).ToBeVisibleAsync();
        await page.FillAsync("#repository-search", "api");
        await Assertions.Expect(page.Locator("#repositories a:has-text('team/web')")).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "repositories");

        await page.GotoAsync("/repository?name=team/web");
        await Assertions.Expect(page.Locator("#tags")).ToContainTextAsync("latest");
        await Assertions.Expect(page.Locator("#tags")).ToContainTextAsync("linux/amd64");
        await Assertions.Expect(page.Locator("#tags")).ToContainTextAsync($"docker pull {_wharf.HostPort}/team/web:1.0");
        await Browser.ScreenshotAsync(page, "repository");

        // The manifest page lists the layers; the shared base layer's page names both images.
        await page.GotoAsync($"/manifest?repository=team/web&digest={Uri.EscapeDataString(_web.ManifestDigest)}");
        await Assertions.Expect(page.Locator("#manifest-digest")).ToHaveTextAsync(_web.ManifestDigest);
        await Assertions.Expect(page.Locator("#layers .layer-link")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#image-config")).ToContainTextAsync("/bin/sh");
        await Browser.ScreenshotAsync(page, "manifest");

        await page.Locator("#layers .layer-link").First.ClickAsync();
        await page.WaitForSelectorAsync("#blob-uses");
        await Assertions.Expect(page.Locator("#blob-digest")).ToHaveTextAsync(_web.Layers[0].Digest);
        await Assertions.Expect(page.Locator("#blob-uses")).ToContainTextAsync("team/web");
        await Assertions.Expect(page.Locator("#blob-uses")).ToContainTextAsync("team/api");
        await Browser.ScreenshotAsync(page, "blob");

        await page.GotoAsync("/sharing?repository=team/web");
        await Assertions.Expect(page.Locator("#shared-with")).ToContainTextAsync("team/api");
        await Assertions.Expect(page.Locator("#shared-with-chart")).ToContainTextAsync("team/api");
        await Browser.ScreenshotAsync(page, "sharing");

        // Delete team/web's manifest: the dialog names both tags that go with it.
        await page.GotoAsync($"/manifest?repository=team/web&digest={Uri.EscapeDataString(_web.ManifestDigest)}");
        await page.ClickAsync("#delete-manifest");
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("1.0, latest");
        await Browser.ScreenshotAsync(page, "delete-confirm");
        await dialog.Locator("button:has-text('Delete')").ClickAsync();
        await page.WaitForURLAsync("**/repository?name=team%2Fweb");

        using var http = new RegistryHttp(_wharf.HostPort);
        var (_, _, _, status) = await http.ManifestAsync("team/web", _web.ManifestDigest);
        Assert.Equal(404, status);
        Assert.Empty(await http.TagsAsync("team/web"));
        var (_, _, _, apiStatus) = await http.ManifestAsync("team/api", "1.0");
        Assert.Equal(200, apiStatus);

        await page.GotoAsync("/audit");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("manifest.delete");
        var deleteRow = page.Locator("#audit tr", new() { HasText = "manifest.delete" });
        await Assertions.Expect(deleteRow).ToContainTextAsync("admin");
        await Assertions.Expect(deleteRow).ToContainTextAsync("team/web");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("sign-in");
        await Browser.ScreenshotAsync(page, "audit");

        Assert.True(_browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", _browser.Errors));
    }

    [Fact]
    public async Task A_viewer_cannot_delete_or_administer()
    {
        var admin = await SignInAsync("admin", AdminPassword);
        await admin.GotoAsync("/users");
        await admin.FillAsync("#new-user", "viewer");
        await admin.PressAsync("#new-user", "Tab");
        await admin.FillAsync("#new-password", ViewerPassword);
        await admin.PressAsync("#new-password", "Tab");
        await admin.ClickAsync("#add-user");
        await Assertions.Expect(admin.Locator("#users")).ToContainTextAsync("viewer");
        await Browser.ScreenshotAsync(admin, "users");
        // The viewer may pull team/api only: that is all the portal shows them.
        await admin.GotoAsync("/access");
        await admin.FillAsync("#grant-prefix", "team/api");
        await admin.FillAsync("#grant-subject", "viewer");
        await admin.ClickAsync("#add-grant");
        await Assertions.Expect(admin.Locator("#grants")).ToContainTextAsync("user viewer");

        var viewer = await SignInAsync("viewer", ViewerPassword);
        await viewer.GotoAsync("/repositories");
        await Assertions.Expect(viewer.Locator("#repositories a.repository-link")).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator("#repositories")).ToContainTextAsync("team/api");
        await Assertions.Expect(viewer.Locator("#repositories")).Not.ToContainTextAsync("team/web");
        await viewer.GotoAsync("/");
        await Assertions.Expect(viewer.Locator("#total-repositories .n")).ToHaveTextAsync("1");
        await viewer.GotoAsync($"/manifest?repository=team/web&digest={Uri.EscapeDataString(_web.ManifestDigest)}");
        await Assertions.Expect(viewer.Locator("#not-visible")).ToContainTextAsync("not found or not allowed");
        await viewer.GotoAsync($"/blob?digest={Uri.EscapeDataString(_web.Layers[0].Digest)}");
        await Assertions.Expect(viewer.Locator("#blob-uses")).ToContainTextAsync("team/api");
        await Assertions.Expect(viewer.Locator("#blob-uses")).Not.ToContainTextAsync("team/web");
        await viewer.GotoAsync($"/manifest?repository=team/api&digest={Uri.EscapeDataString(_api.ManifestDigest)}");
        await Assertions.Expect(viewer.Locator("#manifest-digest")).ToHaveTextAsync(_api.ManifestDigest);
        await Assertions.Expect(viewer.Locator("#delete-manifest")).ToHaveCountAsync(0);
        await viewer.GotoAsync("/repository?name=team/api");
        await Assertions.Expect(viewer.Locator("#tags")).ToContainTextAsync("1.0");
        await Assertions.Expect(viewer.Locator(".delete-tag")).ToHaveCountAsync(0);

        // Admin pages and endpoints are refused by the server, not just hidden, and say why (no sign-in loop).
        await viewer.GotoAsync("/audit");
        await Assertions.Expect(viewer.Locator("#role-denied")).ToContainTextAsync("your role does not allow this page");
        await Assertions.Expect(viewer.Locator("#audit")).ToHaveCountAsync(0);
        var csv = await viewer.APIRequest.GetAsync("/audit/export.csv", new() { MaxRedirects = 0 });
        Assert.NotEqual((int)HttpStatusCode.OK, csv.Status);
        await viewer.GotoAsync("/users");
        await Assertions.Expect(viewer.Locator("#users")).ToHaveCountAsync(0);

        using var http = new RegistryHttp(_wharf.HostPort);
        var (_, _, _, status) = await http.ManifestAsync("team/api", _api.ManifestDigest);
        Assert.Equal(200, status);
        Assert.True(_browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", _browser.Errors));
    }

    [Fact]
    public async Task Wrong_password_is_refused_and_audited()
    {
        var page = await _browser.NewPageAsync(_wharf.BaseUrl);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", "not-the-password");
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("Wrong user name or password");

        var admin = await SignInAsync("admin", AdminPassword);
        await admin.GotoAsync("/audit");
        var failure = admin.Locator("#audit tr", new() { HasText = "wrong password" });
        await Assertions.Expect(failure.First).ToContainTextAsync("failure");
        Assert.True(_browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", _browser.Errors));
    }
}
