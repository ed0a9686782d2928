using System.Globalization;
using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>Garbage collection from the portal: the preview's total is the deleted image's bytes, Collect frees them, history shows both runs.</summary>
public sealed class GcPortalTests : IAsyncLifetime
{
    private const string AdminPassword = "gc-admin-secret-123";
    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"), new Dictionary<string, string>
        {
            ["WHARF_ADMIN_USER"] = "admin",
            ["WHARF_ADMIN_PASSWORD"] = AdminPassword,
            // No grace period, so that what the test just pushed and deleted is eligible at once.
            ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00",
        });
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Preview_shows_the_reclaimable_bytes_and_collect_frees_them()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        layout.AddImage("keep", [(70, 300_000)]);
        var doomed = layout.AddImage("doomed", [(71, 500_000), (72, 200_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:keep", $"docker://{_wharf.HostPort}/team/keep:1");
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:doomed", $"docker://{_wharf.HostPort}/team/doomed:1");
        using var http = new RegistryHttp(_wharf.HostPort);
        var (manifest, _, _, _) = await http.ManifestAsync("team/doomed", "1");
        using (var deleted = await http.DeleteManifestAsync("team/doomed", doomed.ManifestDigest))
            Assert.Equal(202, (int)deleted.StatusCode);
        // The deleted image's layers, config and manifest bytes are what comes back.
        var expected = doomed.Layers.Sum(l => l.Size) + doomed.Config.Size + manifest.Length;

        var page = await _browser.SignInAsync(_wharf.BaseUrl, "admin", AdminPassword);

        await page.GotoAsync("/gc");
        await page.ClickAsync("#gc-preview");
        await Assertions.Expect(page.Locator("#gc-reclaimable span")).ToHaveAttributeAsync("title", $"{expected.ToString("N0", CultureInfo.InvariantCulture)} bytes");
        await Assertions.Expect(page.Locator("#gc-items")).ToContainTextAsync(doomed.Layers[0].Digest);
        await Browser.ScreenshotAsync(page, "gc-preview");

        await page.ClickAsync("#gc-collect");
        // Collect asks first.
        await page.Locator(".mud-dialog button:has-text('Collect')").ClickAsync();
        await Assertions.Expect(page.Locator("#gc-freed span")).ToHaveAttributeAsync("title", $"{expected.ToString("N0", CultureInfo.InvariantCulture)} bytes");
        await Assertions.Expect(page.Locator("#gc-history")).ToContainTextAsync("Preview");
        await Assertions.Expect(page.Locator("#gc-history")).ToContainTextAsync("Collect");
        await Browser.ScreenshotAsync(page, "gc-collected");

        foreach (var blob in doomed.Layers.Append(doomed.Config))
        {
            var path = Path.Combine(_wharf.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", blob.Digest[7..9], blob.Digest[7..], "data");
            Assert.False(File.Exists(path), $"{blob.Digest} is still on disk");
        }
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{_wharf.HostPort}/team/keep:1", $"oci:{_temp.Combine("kept")}:x");

        await page.GotoAsync("/audit");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("gc.collect");
        Assert.True(_browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", _browser.Errors));
    }
}
