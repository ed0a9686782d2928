using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// <c>wharf users|grants|tokens</c> run beside a serving Wharf on the same data directory: each change takes effect
/// in the server (checked through its token endpoint), a refused change says why, and every change is in the audit
/// trail under the operating-system user, without the password.
/// </summary>
public sealed class AdminCommandLineTests : IAsyncLifetime
{
    private const string FirstPassword = "cli-first-password-1";
    private const string SecondPassword = "cli-second-password-2";

    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;

    private string Root => _temp.Combine("root");

    public async Task InitializeAsync() => _wharf = await WharfProcess.StartAsync(Root);

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>The published Wharf's command line, with the server's data directory, and optionally a password on standard input.</summary>
    private Task<ExternalTool.Result> WharfAsync(string arguments, string? stdin = null)
    {
        var input = stdin is null ? "" : $"printf '%s\\n' '{stdin}' | ";
        return ExternalTool.RunAsync("bash", ["-c", $"{input}dotnet '{RepositoryRoot.WharfDll()}' {arguments}"], TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = Root, ["REGISTRY_LOG_LEVEL"] = "warn" });
    }

    private async Task<ExternalTool.Result> OkAsync(string arguments, string? stdin = null)
    {
        var result = await WharfAsync(arguments, stdin);
        Assert.True(result.ExitCode == 0, $"wharf {arguments}: {result.All}");
        return result;
    }

    /// <summary>What the server's token endpoint answers these credentials.</summary>
    private async Task<HttpStatusCode> TokenStatusAsync(string user, string password)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_wharf.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?scope=repository:team-a/app:pull");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Users_grants_and_tokens_are_administered_from_the_command_line_while_wharf_serves()
    {
        ExternalTool.Require("sqlite3");
        Assert.Contains("added alice (Viewer)", (await OkAsync("users add alice --role Viewer --password-stdin", FirstPassword)).Output);
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync("alice", FirstPassword));

        // Refused changes say why and change nothing.
        var again = await WharfAsync("users add alice --role Viewer --password-stdin", FirstPassword);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("wharf:", again.Error);
        var noPassword = await WharfAsync("users add bob --role Viewer");
        Assert.Equal(2, noPassword.ExitCode);
        Assert.Contains("--password-stdin", noPassword.Error);
        Assert.Equal(1, (await WharfAsync("users disable nobody")).ExitCode);

        await OkAsync("users disable alice");
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync("alice", FirstPassword));
        await OkAsync("users enable alice");
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync("alice", FirstPassword));

        await OkAsync("users reset-password alice --password-stdin", SecondPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync("alice", FirstPassword));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync("alice", SecondPassword));
        await OkAsync("users unlock alice");

        await OkAsync("users set-role alice Admin");
        Assert.Contains("alice\tAdmin\tactive", (await OkAsync("users list")).Output);

        await OkAsync("grants add team-a --user alice --actions pull,push");
        await OkAsync("grants add public --anonymous --actions pull");
        var grants = (await OkAsync("grants list")).Output;
        Assert.Contains("team-a", grants);
        Assert.Contains("alice", grants);
        Assert.Contains("public", grants);
        Assert.Equal(2, (await WharfAsync("grants add team-b")).ExitCode);

        Assert.Equal(0, (await WharfAsync("tokens list")).ExitCode);
        var revoke = await WharfAsync("tokens revoke 424242");
        Assert.NotEqual(0, revoke.ExitCode);
        Assert.Equal(2, (await WharfAsync("tokens revoke")).ExitCode);

        // The same audit entries as the portal's, under the operating-system user; never a password.
        var audit = await ExternalTool.RunAsync("sqlite3", [Path.Combine(Root, "wharf", "portal.db"),
            "SELECT Actor || ' ' || Action || ' ' || Outcome || ' ' || COALESCE(Target, '') || ' ' || COALESCE(Detail, '') FROM AuditEntries ORDER BY Id"]);
        Assert.True(audit.ExitCode == 0, audit.All);
        var lines = audit.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var byOperator = lines.Where(l => l.StartsWith("cli:", StringComparison.Ordinal)).ToList();
        Assert.True(byOperator.Count >= 8, audit.Output);
        Assert.Contains(byOperator, l => l.Contains("alice") && l.Contains("role", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, l => l.Contains(FirstPassword) || l.Contains(SecondPassword));
    }

    [Fact]
    public async Task A_registry_account_made_on_the_command_line_authenticates_but_cannot_sign_in_to_the_portal()
    {
        await OkAsync("users add ci-bot --role Registry --password-stdin", FirstPassword);
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync("ci-bot", FirstPassword));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(_wharf.BaseUrl);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#username", "ci-bot");
        await page.FillAsync("#password", FirstPassword);
        await page.ClickAsync("#sign-in");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("registry account");
        Assert.DoesNotContain(FirstPassword, await page.ContentAsync());
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/account/login**");
        Assert.True(browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", browser.Errors));
    }
}
