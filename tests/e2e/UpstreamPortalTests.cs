using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// An Admin adds an upstream in the portal (distribution 2.8 with bcrypt htpasswd), tests the connection, and pulls
/// through it; the password is encrypted at rest, never shown again, and the change is in the audit trail.
/// </summary>
public sealed class UpstreamPortalTests : IAsyncLifetime
{
    private const string UpstreamUser = "mirror";
    private const string UpstreamPassword = "upstream-secret-pass-42";
    private readonly TempDirectory _temp = new();
    private UpstreamRegistry _upstream = null!;
    private WharfProcess _wharf = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("htpasswd");
        _upstream = await UpstreamRegistry.StartWithHtpasswdAsync(_temp.Combine("upstream"), UpstreamUser, UpstreamPassword);
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"));
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _wharf.DisposeAsync();
        await _upstream.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Admin_adds_tests_and_pulls_through_an_upstream()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        var image = layout.AddImage("tool", [(80, 250_000)]);
        await _upstream.PushAsync(layout, "tool", "library/tool:1");

        var page = await _browser.SignInAsync(_wharf.BaseUrl, _wharf.AdminUser, _wharf.AdminPassword);

        await page.GotoAsync("/upstreams");
        foreach (var (field, value) in new[] { ("#upstream-name", "corp"), ("#upstream-prefix", "corp"), ("#upstream-url", _upstream.Url),
                     ("#upstream-username", UpstreamUser), ("#upstream-password", UpstreamPassword) })
        {
            await page.FillAsync(field, value);
            await page.PressAsync(field, "Tab");
        }
        await page.ClickAsync("#upstream-save");
        await Assertions.Expect(page.Locator("#upstreams")).ToContainTextAsync(_upstream.Url);
        await page.Locator("#upstreams .test-upstream").First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("accepted its credentials");

        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{_wharf.HostPort}/corp/library/tool:1", $"oci:{_temp.Combine("pulled")}:x");
        var digest = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{_wharf.HostPort}/corp/library/tool:1");
        Assert.Equal(image.ManifestDigest, digest.Trim());

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#upstreams")).ToContainTextAsync("reachable");
        await Browser.ScreenshotAsync(page, "upstreams");
        // Write-only: the page never carries the password back, and the database holds it encrypted.
        Assert.DoesNotContain(UpstreamPassword, await page.ContentAsync());
        var portalDb = await File.ReadAllBytesAsync(Path.Combine(_wharf.RootDirectory, "wharf", "portal.db"));
        Assert.DoesNotContain(UpstreamPassword, System.Text.Encoding.UTF8.GetString(portalDb));
        Assert.DoesNotContain(UpstreamPassword, _wharf.Log);

        // Cached content shows like any repository, with its upstream named.
        await page.GotoAsync("/repositories");
        var cachedRow = page.Locator("#repositories tr", new() { HasText = "corp/library/tool" });
        await Assertions.Expect(cachedRow).ToContainTextAsync("corp");
        await page.GotoAsync("/repository?name=corp/library/tool");
        await Assertions.Expect(page.Locator("#cached-from")).ToContainTextAsync("corp");
        await Assertions.Expect(page.Locator("#tags")).ToContainTextAsync("1");

        await page.GotoAsync("/audit");
        var row = page.Locator("#audit tr", new() { HasText = "upstream.create" });
        await Assertions.Expect(row).ToContainTextAsync("corp");
        await Assertions.Expect(row).Not.ToContainTextAsync(UpstreamPassword);
        Assert.True(_browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", _browser.Errors));
    }
}
