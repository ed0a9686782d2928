using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Components;
using Wharf.Portal.Components.Pages;
using Wharf.Registry.Notifications;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// Every signed-in user's own pages (tokens, account), the pages around signing in, the router's answers (a Viewer
/// on an Admin page, an unknown address), and the notifications page with an endpoint that cannot be reached.
/// </summary>
public sealed class AccountPageTests : IClassFixture<AccountPageTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public sealed class Fixture : IAsyncLifetime
    {
        // A notification endpoint nobody listens on (the edge): events queue for it and its errors are recorded.
        public PortalPageHost Host { get; } = new(
            "--registry:notifications:endpoints:0:name=audit-hook",
            "--registry:notifications:endpoints:0:url=http://127.0.0.1:9/events",
            "--registry:notifications:endpoints:0:timeout=1s",
            "--registry:notifications:endpoints:0:threshold=1",
            "--registry:notifications:endpoints:0:backoff=1h");

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            await Host.Wharf.CreateUserAsync("bob", PortalPageHost.Password);
            await Host.PushAsync("team-a/app", "1.0", TestContent.Image("account-pages"));
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Fixture _wharf;

    public AccountPageTests(Fixture wharf) => _wharf = wharf;

    private Task<PageContext> AsAsync(string? user) => _wharf.Host.SignedInAsAsync(user);

    [Fact]
    public async Task A_new_token_is_shown_once_and_listed_and_a_refused_one_keeps_what_was_typed()
    {
        await using var bob = await AsAsync("bob");
        var cut = bob.Render<Tokens>();
        cut.WaitForAssertion(() => Assert.Contains("No access tokens.", cut.Find("#tokens").TextContent), Wait);
        cut.Find("#token-name").Input("deploy");
        cut.Find("#create-token").Click();
        cut.WaitForAssertion(() => Assert.StartsWith("wharf_pat_", cut.Find("#new-token").GetAttribute("value")), Wait);
        cut.WaitForAssertion(() => Assert.Contains("deploy", cut.Find("#tokens").TextContent), Wait);

        // A prefix that is not one is refused: the name typed stays for the next try.
        cut.Find("#token-name").Input("second");
        cut.Find("#token-prefix").Input("Not A Prefix");
        cut.Find("#create-token").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("#new-token")), Wait);
        Assert.Equal("second", cut.Find("#token-name").GetAttribute("value"));
        Assert.DoesNotContain("second", cut.Find("#tokens").TextContent);
    }

    [Fact]
    public async Task A_wrong_current_password_is_refused_and_no_password_is_rendered_back()
    {
        await using var bob = await AsAsync("bob");
        var cut = bob.Render<Account>();
        cut.Find("#current-password").Input("not-my-password-at-all");
        cut.Find("#new-own-password").Input("a-new-password-for-bob");
        cut.Find("#change-password").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#account-message")), Wait);
        Assert.DoesNotContain("Password changed", cut.Find("#account-message").TextContent);
        Assert.DoesNotContain("not-my-password-at-all", cut.Markup);
        Assert.DoesNotContain("a-new-password-for-bob", cut.Markup);
    }

    [Fact]
    public async Task A_viewer_opening_an_admin_page_is_told_their_role_does_not_allow_it()
    {
        await using var bob = await AsAsync("bob");
        bob.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("users");
        var cut = bob.Render<Routes>();
        cut.WaitForAssertion(() => Assert.Contains("signed in as bob, and your role does not allow this page", cut.Find("#role-denied").TextContent), Wait);
        Assert.Empty(cut.FindAll("#users"));
        // The navigation offers bob no Admin page at all.
        Assert.Empty(cut.FindAll("#nav-users"));
        Assert.NotEmpty(cut.FindAll("#nav-repositories"));
    }

    [Fact]
    public async Task An_unknown_address_gets_the_not_found_page_and_the_denied_page_says_why()
    {
        await using var bob = await AsAsync("bob");
        bob.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("no/such/page");
        var cut = bob.Render<Routes>();
        cut.WaitForAssertion(() => Assert.Contains("no page at this address", cut.Find("#not-found").TextContent), Wait);
        var denied = bob.Render<Denied>();
        Assert.Contains("your role does not allow this page", denied.Find("#role-denied").TextContent);
    }

    [Fact]
    public async Task The_sign_in_and_setup_pages_know_that_Wharf_is_set_up()
    {
        await using var anonymous = await AsAsync(null);
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        var login = anonymous.Render<Login>(p => p.AddCascadingValue(http));
        Assert.NotEmpty(login.FindAll("#username"));
        Assert.Equal("password", login.Find("#password").GetAttribute("type"));
        // Users exist, so the sign-in page does not send anyone to the setup page...
        Assert.DoesNotContain("setup", anonymous.Bunit.Services.GetRequiredService<NavigationManager>().Uri);
        // ...and the setup page is closed.
        var setup = anonymous.Render<Setup>(p => p.AddCascadingValue(http));
        setup.WaitForAssertion(() => Assert.Contains("already set up", setup.Markup), Wait);
        Assert.Empty(setup.FindAll("#setup-code"));
    }

    [Fact]
    public async Task The_notifications_page_shows_an_endpoints_queue_and_its_last_error()
    {
        // Waits for the condition (the dispatcher's first failed attempt is recorded), not for a time.
        var status = _wharf.Host.Wharf.Services.GetRequiredService<NotificationStatus>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await status.GetAsync(default)).Single().LastErrorAt is null && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<global::Wharf.Portal.Components.Pages.Notifications>();
        cut.WaitForAssertion(() => Assert.Contains("audit-hook", cut.Find("#notification-endpoints").TextContent), Wait);
        Assert.Contains("http://127.0.0.1:9/events", cut.Markup);
        Assert.True(int.Parse(cut.Find(".endpoint-pending").TextContent.Replace(",", "")) >= 1, "the push's events are pending");
        Assert.Equal("never", cut.Find(".endpoint-success").TextContent.Trim());
        Assert.DoesNotContain("none", cut.Find(".endpoint-error").TextContent);
        Assert.Equal("failing", cut.Find(".endpoint-state").TextContent.Trim());
    }
}
