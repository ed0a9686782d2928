using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Wharf.Portal.Components;
using Wharf.Portal.Components.Pages;
using Wharf.Portal.Data;
using Wharf.Portal.Lists;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// The Admin pages over a real Wharf with 26 users (more than a page), a grant and an access token: what an Admin sees
/// and may change, what the server refuses (and the page then shows), and what a Viewer who reaches them gets.
/// </summary>
public sealed class AdminPageTests : IClassFixture<AdminPageTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public sealed class Fixture : IAsyncLifetime
    {
        public PortalPageHost Host { get; } = new();

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            // The Admin and alice, and 24 more: 26 users, one more than the first page holds.
            await Host.Wharf.CreateUserAsync("alice", PortalPageHost.Password);
            for (var i = 0; i < 24; i++) await Host.Wharf.CreateUserAsync($"user-{i:00}", PortalPageHost.Password);
            await Host.Wharf.GrantAsync("team-a", GrantSubjectKind.User, "alice", RepositoryActions.Pull);
            await Host.Wharf.CreateAccessTokenAsync("alice", RepositoryActions.Pull, "team-a");
            await Host.PushAsync("team-a/app", "1.0", TestContent.Image("admin-pages"));
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Fixture _wharf;

    public AdminPageTests(Fixture wharf) => _wharf = wharf;

    private Task<PageContext> AsAsync(string user) => _wharf.Host.SignedInAsAsync(user);

    private static IReadOnlyList<string> UserNames(IRenderedComponent<Users> cut) =>
        cut.FindAll("#users tbody tr").Select(r => r.QuerySelector("td")!.TextContent.Trim()).ToList();

    [Fact]
    public async Task The_users_page_shows_a_page_from_the_server_and_the_next_one_on_request()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(25, UserNames(cut).Count), Wait);
        Assert.Equal("admin", UserNames(cut)[0]);
        Assert.Contains("of 26", cut.Find(".mud-table-pagination").TextContent);
        cut.Find("button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(["user-23"], UserNames(cut)), Wait);
        Assert.Contains("page=2", admin.Bunit.Services.GetRequiredService<NavigationManager>().Uri);

        // The search runs in the database, case-insensitively.
        cut.Find("#user-search").Input("USER-1");
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(10, 10).Select(i => $"user-{i}"), UserNames(cut)), Wait);
    }

    [Fact]
    public async Task Users_are_sorted_by_the_server()
    {
        // What the grid's column headers ask for: the newest user first, whichever page.
        var admin = await _wharf.Host.PrincipalAsync(AccessHost.AdminUser);
        var newest = await _wharf.Host.Wharf.AsUserAsync(AccessHost.AdminUser, (sp, _) =>
            sp.GetRequiredService<UserAdministration>().ListAsync(admin, new ListRequest(0, 2, "CreatedAt", Descending: true), default));
        Assert.Equal(26, newest.Total);
        Assert.Equal(["user-23", "user-22"], newest.Items.Select(u => u.UserName));
        var byRole = await _wharf.Host.Wharf.AsUserAsync(AccessHost.AdminUser, (sp, _) =>
            sp.GetRequiredService<UserAdministration>().ListAsync(admin, new ListRequest(0, 1, "Role"), default));
        Assert.Equal(Roles.Admin, byRole.Items[0].Role);
    }

    [Fact]
    public async Task A_refused_self_demotion_leaves_the_role_control_showing_Admin()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(25, UserNames(cut).Count), Wait);
        var select = cut.FindComponents<MudSelect<string>>().First(s => s.Instance.GetState(x => x.Value) == Roles.Admin);
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(Roles.Viewer));
        var snackbar = admin.Bunit.Services.GetRequiredService<ISnackbar>();
        cut.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message!.Contains("Admin role from yourself")), Wait);
        cut.WaitForAssertion(() => Assert.Equal(Roles.Admin, cut.FindComponents<MudSelect<string>>().First().Instance.GetState(x => x.Value)), Wait);
    }

    [Fact]
    public async Task A_viewer_is_refused_every_admin_list_by_the_server()
    {
        await using var alice = await AsAsync("alice");
        var users = alice.Render<Users>();
        users.WaitForAssertion(() => Assert.Contains("No users.", users.Find("#users").TextContent), Wait);
        var grants = alice.Render<global::Wharf.Portal.Components.Pages.Access>();
        grants.WaitForAssertion(() => Assert.Contains("No grants", grants.Find("#grants").TextContent), Wait);
        var tokens = alice.Render<AllTokens>();
        tokens.WaitForAssertion(() => Assert.Contains("No access tokens.", tokens.Find("#all-tokens").TextContent), Wait);
        var notifications = alice.Render<global::Wharf.Portal.Components.Pages.Notifications>();
        notifications.WaitForAssertion(() => Assert.Contains("your role does not allow this page", notifications.Find("#role-denied").TextContent), Wait);
    }

    [Fact]
    public async Task The_grants_page_lists_searches_and_keeps_a_refused_grant_typed()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<global::Wharf.Portal.Components.Pages.Access>();
        cut.WaitForAssertion(() => Assert.Contains("user alice", cut.Find("#grants").TextContent), Wait);
        cut.Find("#grant-search").Input("nothing-like-it");
        cut.WaitForAssertion(() => Assert.Contains("No grant matches", cut.Find("#grants").TextContent), Wait);

        cut.Find("#grant-prefix").Input("Not A Prefix");
        cut.Find("#grant-subject").Input("alice");
        cut.Find("#add-grant").Click();
        var snackbar = admin.Bunit.Services.GetRequiredService<ISnackbar>();
        cut.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message!.Contains("is not a repository name prefix")), Wait);
        Assert.Equal("Not A Prefix", cut.Find("#grant-prefix").GetAttribute("value"));
    }

    [Fact]
    public async Task All_access_tokens_are_listed_with_their_owners()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<AllTokens>();
        cut.WaitForAssertion(() => Assert.Contains("alice", cut.Find("#all-tokens").TextContent), Wait);
        Assert.Contains("team-a/…", cut.Find("#all-tokens").TextContent);
        Assert.NotEmpty(cut.FindAll(".revoke-token"));
    }

    [Fact]
    public async Task The_garbage_collection_page_explains_the_grace_period_and_pages_the_preview()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<GarbageCollection>();
        Assert.Contains("grace period of 1 day", cut.Find("#grace-period").TextContent);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#gc-history")), Wait);
        cut.Find("#gc-preview").Click();
        cut.WaitForAssertion(() => Assert.Contains("eligible now", cut.Find("#gc-summary").TextContent), Wait);
        // Nothing is older than the grace period yet: the report is empty, and says why.
        cut.WaitForAssertion(() => Assert.Contains("Nothing is eligible now", cut.Find("#gc-items").TextContent), Wait);
        cut.WaitForAssertion(() => Assert.Contains("Preview", cut.Find("#gc-history").TextContent), Wait);
    }

    [Fact]
    public async Task The_garbage_collection_page_shows_what_upload_sessions_hold()
    {
        var token = await _wharf.Host.Wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, "repository:team-a/uploading:pull,push");
        using (var client = _wharf.Host.Wharf.ClientWith(AccessHost.Bearer(token)))
        {
            await client.StartUploadAsync("team-a/uploading");
            var holding = await client.StartUploadAsync("team-a/uploading");
            using var patch = await client.PatchAsync(holding, RegistryClient.Bytes(new byte[3 * 1024]));
            Assert.Equal(System.Net.HttpStatusCode.Accepted, patch.StatusCode);
        }

        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<GarbageCollection>();
        cut.WaitForAssertion(() =>
        {
            var text = cut.Find("#upload-sessions").TextContent;
            Assert.Contains("2 open", text);
            Assert.Contains("3.0 KiB", text);
            Assert.Contains("1 with no bytes yet", text);
        }, Wait);
    }

    [Fact]
    public async Task The_audit_trail_filters_only_when_applied()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<Audit>();
        cut.WaitForAssertion(() => Assert.Contains("user.create", cut.Find("#audit").TextContent), Wait);
        cut.Find("#filter-user").Input("NOBODY-AT-ALL");
        // Typing alone changes nothing; Apply does.
        Assert.Contains("user.create", cut.Find("#audit").TextContent);
        cut.Find("#apply-filter").Click();
        cut.WaitForAssertion(() => Assert.DoesNotContain("user.create", cut.Find("#audit").TextContent), Wait);
        Assert.Contains("user=NOBODY-AT-ALL", cut.Find("#export-csv").GetAttribute("href"));
    }

    [Fact]
    public async Task The_notifications_page_says_when_no_endpoint_is_configured()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<global::Wharf.Portal.Components.Pages.Notifications>();
        cut.WaitForAssertion(() => Assert.Contains("notifications.endpoints", cut.Find("#no-endpoints").TextContent), Wait);
    }

    [Fact]
    public async Task The_upstreams_page_lists_none_and_offers_the_form()
    {
        await using var admin = await AsAsync(AccessHost.AdminUser);
        var cut = admin.Render<Upstreams>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#upstreams")), Wait);
        Assert.Empty(cut.FindAll("#anonymous-warning"));
        Assert.NotEmpty(cut.FindAll("#upstream-save"));
    }
}
