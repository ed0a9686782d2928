using Microsoft.Playwright;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, headless. Every page records console errors and page errors, and a test
/// fails if any appeared; screenshots go to artifacts/screenshots.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public IReadOnlyList<string> Errors => _errors;

    public static async Task<Browser> LaunchAsync()
    {
        var chromium = ExternalTool.Require("chromium");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Without the networking flags Chromium keeps trying to reach the internet, which this machine does not have.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>The two screens the portal is built for: a desktop browser and a phone.</summary>
    public static readonly (int Width, int Height) Wide = (1400, 900), Narrow = (390, 844);

    public async Task<IPage> NewPageAsync(string baseUrl, (int Width, int Height)? size = null, ColorScheme scheme = ColorScheme.Light)
    {
        var (width, height) = size ?? Wide;
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"{page.Url}: {message.Text}");
        };
        page.PageError += (_, error) => { lock (_errors) _errors.Add($"{page.Url}: {error}"); };
        return page;
    }

    /// <summary>
    /// Opens <paramref name="startAt"/> on a new page, expects the portal to be (or to send the browser) at the sign-in
    /// page, signs in and waits for the overview.
    /// </summary>
    public async Task<IPage> SignInAsync(string baseUrl, string user, string password, string startAt = "/account/login",
        (int Width, int Height)? size = null, ColorScheme scheme = ColorScheme.Light)
    {
        var page = await NewPageAsync(baseUrl, size, scheme);
        await page.GotoAsync(startAt);
        await page.WaitForURLAsync("**/account/login**");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("h1:has-text('Overview')");
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(RepositoryRoot.Find(), "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
