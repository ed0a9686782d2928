using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Components.Shared;
using Wharf.Portal.Lists;
using Wharf.Registry.Browse;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Portal.Pages;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Shared;

/// <summary>
/// The access tokens grid on its own, loading from the real token service over SQLite: a user with 27 tokens (more
/// than a page; one revoked, one expired), the pages and sorts it asks the server for, the revoke action and what it
/// hands back, the owner column, and the empty state.
/// </summary>
public sealed class TokenTableTests : IClassFixture<TokenTableTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public sealed class Fixture : IAsyncLifetime
    {
        public PortalPageHost Host { get; } = new();

        public string FirstSecret { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            await Host.Wharf.CreateUserAsync("carol", PortalPageHost.Password);
            await Host.Wharf.CreateUserAsync("dave", PortalPageHost.Password);
            await Host.Wharf.CreateUserAsync("erin", PortalPageHost.Password);
            for (var i = 0; i < 27; i++)
            {
                var name = $"token-{i:00}";
                var prefix = i == 0 ? "team-a" : "";
                var (result, created) = await Host.Wharf.AsUserAsync("carol", (sp, carol) =>
                    sp.GetRequiredService<AccessTokens>().CreateAsync(carol, name, RepositoryActions.Pull, prefix, DateTime.UtcNow.AddDays(30), default));
                Assert.True(result.Succeeded, string.Join("; ", result.Errors));
                if (i == 0) FirstSecret = created!.Secret;
                if (i == 1)
                {
                    var revoked = await Host.Wharf.AsUserAsync("carol", (sp, carol) => sp.GetRequiredService<AccessTokens>().RevokeAsync(carol, created!.Token.Id, default));
                    Assert.True(revoked.Succeeded);
                }
                if (i == 2) await Host.Wharf.SetAccessTokenExpiryAsync(created!.Token.Id, DateTime.UtcNow.AddDays(-1));
            }
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Fixture _wharf;

    public TokenTableTests(Fixture wharf) => _wharf = wharf;

    /// <summary>The grid over <see cref="AccessTokens.ListOwnAsync"/> as this user, with every request it made.</summary>
    private async Task<(PageContext Context, IRenderedComponent<TokenTable> Table, List<ListRequest> Requests, List<AccessTokenSummary> Revoked)> RenderAsync(
        string user, bool showOwner = false)
    {
        var context = await _wharf.Host.SignedInAsAsync(user);
        var principal = await _wharf.Host.PrincipalAsync(user);
        var tokens = context.Bunit.Services.GetRequiredService<AccessTokens>();
        var requests = new List<ListRequest>();
        var revoked = new List<AccessTokenSummary>();
        var cut = context.Render<TokenTable>(p => p
            .Add(x => x.Load, request =>
            {
                lock (requests) requests.Add(request);
                return tokens.ListOwnAsync(principal, request, default);
            })
            .Add(x => x.ShowOwner, showOwner)
            .Add(x => x.Revoke, (AccessTokenSummary token) => revoked.Add(token)));
        return (context, cut, requests, revoked);
    }

    private static List<string> Names(IRenderedComponent<TokenTable> cut) =>
        cut.FindAll("#tokens tbody tr").Select(r => r.QuerySelector("td")!.TextContent.Trim()).ToList();

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<TokenTable> cut, string name) =>
        cut.FindAll("#tokens tbody tr").Single(r => r.QuerySelector("td")!.TextContent.Trim() == name);

    /// <summary>
    /// Finds the element and clicks it on the renderer's dispatcher, so no render between the two can retire its
    /// handler (the grid renders again after its data arrives).
    /// </summary>
    private static Task ClickAsync(IRenderedComponent<TokenTable> cut, Func<AngleSharp.Dom.IElement> find) =>
        cut.InvokeAsync(() => find().Click());

    private static Task NextPageAsync(IRenderedComponent<TokenTable> cut) =>
        ClickAsync(cut, () => cut.Find("button[aria-label='Next page']"));

    private static Task SortByNameAsync(IRenderedComponent<TokenTable> cut) =>
        ClickAsync(cut, () => cut.FindAll("#tokens thead th").Single(th => th.TextContent.Contains("Name")).QuerySelector(".sortable-column-header")!);

    [Fact]
    public async Task Shows_the_first_page_from_the_server_newest_first_and_the_next_on_request()
    {
        var (context, cut, requests, _) = await RenderAsync("carol");
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Equal(25, Names(cut).Count), Wait);
        // The service's default order (newest first), one page of 25 asked for, not every token.
        Assert.Equal(Enumerable.Range(2, 25).Reverse().Select(i => $"token-{i:00}"), Names(cut));
        Assert.Equal(new ListRequest(0, 25), requests.Last());
        Assert.Contains("of 27", cut.Find(".mud-table-pagination").TextContent);

        await NextPageAsync(cut);
        cut.WaitForAssertion(() => Assert.Equal(["token-01", "token-00"], Names(cut)), Wait);
        Assert.Equal(new ListRequest(25, 25), requests.Last());
    }

    [Fact]
    public async Task A_column_header_sorts_on_the_server()
    {
        var (context, cut, requests, _) = await RenderAsync("carol");
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Equal(25, Names(cut).Count), Wait);
        await SortByNameAsync(cut);
        cut.WaitForAssertion(() => Assert.Equal("token-00", Names(cut)[0]), Wait);
        Assert.Equal(new ListRequest(0, 25, "Name", false), requests.Last());
        Assert.Equal("token-24", Names(cut)[^1]);

        await SortByNameAsync(cut);
        cut.WaitForAssertion(() => Assert.Equal("token-26", Names(cut)[0]), Wait);
        Assert.Equal(new ListRequest(0, 25, "Name", true), requests.Last());
    }

    [Fact]
    public async Task Each_row_says_its_state_shows_only_the_hint_and_offers_revoke_while_it_can_be_revoked()
    {
        var (context, cut, _, revoked) = await RenderAsync("carol");
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Equal(25, Names(cut).Count), Wait);
        Assert.Equal("expired", Row(cut, "token-02").QuerySelector(".token-state")!.TextContent);
        Assert.Equal("active", Row(cut, "token-03").QuerySelector(".token-state")!.TextContent);
        Assert.NotNull(Row(cut, "token-02").QuerySelector(".revoke-token"));
        Assert.Contains("all", Row(cut, "token-03").TextContent);
        // Carol's own list: no owner column.
        Assert.DoesNotContain(cut.FindAll("#tokens thead th"), th => th.TextContent.Contains("Owner"));

        await NextPageAsync(cut);
        cut.WaitForAssertion(() => Assert.Equal(["token-01", "token-00"], Names(cut)), Wait);
        Assert.Equal("revoked", Row(cut, "token-01").QuerySelector(".token-state")!.TextContent);
        Assert.Null(Row(cut, "token-01").QuerySelector(".revoke-token"));
        var first = Row(cut, "token-00");
        Assert.Contains("team-a/…", first.TextContent);
        // The secret was shown once at creation; the table has only its first characters.
        Assert.StartsWith(AccessTokens.SecretPrefix, first.QuerySelector("code")!.TextContent);
        Assert.Contains(_wharf.FirstSecret[..(AccessTokens.SecretPrefix.Length + 4)], first.QuerySelector("code")!.TextContent);
        Assert.DoesNotContain(_wharf.FirstSecret, cut.Markup);

        await ClickAsync(cut, () => Row(cut, "token-00").QuerySelector(".revoke-token")!);
        // The callback runs on the renderer's dispatcher: wait for it rather than assume it ran.
        cut.WaitForAssertion(() => Assert.Single(revoked), Wait);
        var asked = Assert.Single(revoked);
        Assert.Equal("token-00", asked.Name);
        Assert.Equal("carol", asked.Owner);
        // Revoking is the page's business: the table only asked, the token is still active.
        Assert.Equal("active", Row(cut, "token-00").QuerySelector(".token-state")!.TextContent);
    }

    [Fact]
    public async Task Reloading_reads_the_current_page_again()
    {
        var (context, cut, requests, _) = await RenderAsync("erin");
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Contains("No access tokens.", cut.Find("#tokens").TextContent), Wait);
        var (result, _) = await _wharf.Host.Wharf.AsUserAsync("erin", (sp, erin) =>
            sp.GetRequiredService<AccessTokens>().CreateAsync(erin, "added-later", RepositoryActions.Pull, "", DateTime.UtcNow.AddDays(1), default));
        Assert.True(result.Succeeded);
        var before = requests.Count;
        await cut.InvokeAsync(() => cut.Instance.ReloadAsync());
        cut.WaitForAssertion(() => Assert.Equal(["added-later"], Names(cut)), Wait);
        Assert.True(requests.Count > before);
    }

    [Fact]
    public async Task The_owner_column_appears_when_asked_for()
    {
        var (context, cut, _, _) = await RenderAsync("carol", showOwner: true);
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Equal(25, Names(cut).Count), Wait);
        Assert.Contains(cut.FindAll("#tokens thead th"), th => th.TextContent.Contains("Owner"));
        Assert.All(cut.FindAll("#tokens tbody tr"), r => Assert.Equal("carol", r.QuerySelectorAll("td")[1].TextContent.Trim()));
    }

    [Fact]
    public async Task A_user_without_tokens_is_told_so()
    {
        var (context, cut, requests, _) = await RenderAsync("dave");
        await using var _ = context;
        cut.WaitForAssertion(() => Assert.Contains("No access tokens.", cut.Find("#tokens").TextContent), Wait);
        Assert.NotEmpty(requests);
        Assert.Empty(cut.FindAll(".revoke-token"));
    }
}
