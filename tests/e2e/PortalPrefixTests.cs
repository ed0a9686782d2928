using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// The portal under distribution's <c>http.prefix</c> (here <c>/registry/</c>), in Chromium: the sign-in redirect,
/// the static assets and <c>blazor.web.js</c>, a live circuit (server-paged grids, a search), every link and the
/// sign-out all stay under the prefix. No console error.
/// </summary>
public sealed class PortalPrefixTests : IAsyncLifetime
{
    private const string AdminPassword = "prefix-admin-secret-1";
    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"), new Dictionary<string, string>
        {
            ["WHARF_ADMIN_USER"] = "admin",
            ["WHARF_ADMIN_PASSWORD"] = AdminPassword,
            ["REGISTRY_HTTP_PREFIX"] = "/registry/",
        });
        await PushAsync("team-a/app", "1.0");
        _browser = await Browser.LaunchAsync();
    }

    /// <summary>
    /// Pushes a one-layer image through the API under the prefix. (Image references have no room for a path prefix,
    /// so skopeo cannot: under http.prefix a reverse proxy normally maps /v2 for the clients.)
    /// </summary>
    private async Task PushAsync(string repository, string tag)
    {
        using var client = new HttpClient { BaseAddress = new Uri(_wharf.BaseUrl + "/registry/") };
        // The bearer token from the realm the challenge names (under the prefix too).
        using (var challenge = await client.GetAsync("v2/"))
        {
            var realm = System.Text.RegularExpressions.Regex.Match(challenge.Headers.WwwAuthenticate.ToString(), "realm=\"([^\"]+)\"").Groups[1].Value;
            Assert.StartsWith(_wharf.BaseUrl + "/registry/", realm);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{realm}?service=wharf&scope=repository:{repository}:pull,push");
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + AdminPassword)));
            using var token = await client.SendAsync(request);
            using var json = System.Text.Json.JsonDocument.Parse(await token.Content.ReadAsStringAsync());
            client.DefaultRequestHeaders.Authorization = new("Bearer", json.RootElement.GetProperty("token").GetString());
        }
        var layer = new byte[20_000];
        new Random(1).NextBytes(layer);
        var config = System.Text.Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        foreach (var blob in new[] { layer, config })
        {
            using var content = new ByteArrayContent(blob);
            content.Headers.ContentType = new("application/octet-stream");
            using var put = await client.PostAsync($"v2/{repository}/blobs/uploads/?digest={RegistryHttp.Sha256(blob)}", content);
            Assert.Equal(System.Net.HttpStatusCode.Created, put.StatusCode);
        }
        var manifest = System.Text.Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciLayout.ManifestType}}",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{RegistryHttp.Sha256(config)}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{RegistryHttp.Sha256(layer)}}","size":{{layer.Length}}}]}
            """);
        using var body = new ByteArrayContent(manifest);
        body.Headers.ContentType = new(OciLayout.ManifestType);
        using var response = await client.PutAsync($"v2/{repository}/manifests/{tag}", body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task The_portal_works_under_http_prefix()
    {
        var root = _wharf.BaseUrl + "/registry/";
        // Relative to the base: sign-in sends the browser to the overview under the prefix.
        var page = await _browser.SignInAsync(root, "admin", AdminPassword, startAt: "account/login");
        Assert.Equal(root, page.Url);

        await page.ClickAsync("#nav-repositories");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Repositories");
        Assert.Equal(root + "repositories", page.Url);
        // The grid is filled over the circuit; the search goes over it too.
        await page.FillAsync("#repository-search", "team-a");
        await Assertions.Expect(page.Locator("#repositories a.repository-link")).ToHaveCountAsync(1);
        await page.ClickAsync("#repositories a.repository-link");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("team-a/app");
        Assert.StartsWith(root + "repository?name=", page.Url);
        await page.ClickAsync("#tags a.tag-link");
        await Assertions.Expect(page.Locator("#manifest-digest")).ToBeVisibleAsync();
        Assert.StartsWith(root + "manifest?", page.Url);

        // Breadcrumbs and the brand lead back under the prefix.
        await page.Locator(".crumbs a", new() { HasText = "Overview" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        Assert.Equal(root, page.Url);

        foreach (var (id, heading) in new[] { ("nav-users", "Users"), ("nav-gc", "Garbage collection"), ("nav-notifications", "Notifications"), ("nav-audit", "Audit trail") })
        {
            await page.ClickAsync($"#{id}");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(heading);
            Assert.StartsWith(root, page.Url);
        }

        // A page that does not exist is the portal's 404 page, with its styles (served under the prefix).
        var missing = await page.GotoAsync("no/such/page");
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.Locator("#not-found")).ToBeVisibleAsync();

        await page.GotoAsync("./");
        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync(root + "account/login**");

        // Signed out, an Admin page sends the browser to sign in, and back to it afterwards, under the prefix.
        await page.GotoAsync("users");
        await page.WaitForURLAsync(root + "account/login**");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", AdminPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("h1:has-text('Users')");
        Assert.Equal(root + "users", page.Url);
        var errors = _browser.Errors.Where(e => !(e.Contains("/no/such/page") && e.Contains("status of 404"))).ToList();
        Assert.True(errors.Count == 0, "browser errors:\n" + string.Join("\n", errors));
    }
}
