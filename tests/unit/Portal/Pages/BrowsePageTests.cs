using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Components.Pages;
using Wharf.Portal.Components.Shared;
using Wharf.Portal.Data;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// The browsing pages over a real registry holding team-a/app (two tags) and team-b/other, which shares a layer
/// with it: what an Admin sees, what alice (granted team-a) sees, and what a user with no grant sees (the empty state).
/// </summary>
public sealed class BrowsePageTests : IClassFixture<BrowsePageTests.Registry>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public sealed class Registry : IAsyncLifetime
    {
        public PortalPageHost Host { get; } = new();
        public TestImage App { get; private set; } = null!;
        public TestImage AppNext { get; private set; } = null!;
        public TestImage Other { get; private set; } = null!;
        public byte[] SharedLayer { get; } = TestContent.RandomBytes(4000, 11);

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            App = Image("app", 12);
            AppNext = Image("app-next", 13);
            Other = Image("other", 14);
            await Host.PushAsync("team-a/app", "1.0", App);
            await Host.PushAsync("team-a/app", "2.0", AppNext);
            await Host.PushAsync("team-b/other", "1.0", Other);
            await Host.Wharf.CreateUserAsync("alice", PortalPageHost.Password);
            await Host.Wharf.CreateUserAsync("nobody", PortalPageHost.Password);
            await Host.Wharf.GrantAsync("team-a", GrantSubjectKind.User, "alice", RepositoryActions.Pull);
        }

        private TestImage Image(string seed, int layerSeed)
        {
            var config = TestContent.Config(seed);
            var own = TestContent.RandomBytes(2000, layerSeed);
            return TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config),
                [TestContent.Descriptor(TestContent.OciLayer, SharedLayer), TestContent.Descriptor(TestContent.OciLayer, own)], [config, SharedLayer, own]);
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Registry _registry;

    public BrowsePageTests(Registry registry) => _registry = registry;

    private Task<PageContext> AsAsync(string user) => _registry.Host.SignedInAsAsync(user);

    [Fact]
    public async Task The_overview_counts_what_the_user_may_see()
    {
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.Render<Overview>();
            cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("#total-repositories .n").TextContent.Trim()), Wait);
            Assert.Equal("3", cut.Find("#total-tags .n").TextContent.Trim());
            Assert.Contains("team-b/other", cut.Find("#largest-chart").TextContent);
            // An Admin also sees the recent activity (the pushes are in the audit trail).
            Assert.NotEmpty(cut.FindAll("#recent-activity"));
        }
        await using var alice = await AsAsync("alice");
        var own = alice.Render<Overview>();
        own.WaitForAssertion(() => Assert.Equal("1", own.Find("#total-repositories .n").TextContent.Trim()), Wait);
        Assert.Equal("2", own.Find("#total-tags .n").TextContent.Trim());
        Assert.DoesNotContain("team-b", own.Markup);
        Assert.Empty(own.FindAll("#recent-activity"));
    }

    [Fact]
    public async Task A_user_with_no_grant_sees_the_empty_state_with_the_push_commands()
    {
        await using var nobody = await AsAsync("nobody");
        var overview = nobody.Render<Overview>();
        overview.WaitForAssertion(() => Assert.Equal("0", overview.Find("#total-repositories .n").TextContent.Trim()), Wait);
        Assert.Contains("docker push", overview.Find("#push-commands").TextContent);
        var list = nobody.Render<Repositories>();
        list.WaitForAssertion(() => Assert.NotEmpty(list.FindAll("#push-commands")), Wait);
        Assert.Empty(list.FindAll("a.repository-link"));
    }

    [Fact]
    public async Task The_repository_list_is_filtered_by_grants_and_searched_on_the_server()
    {
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.Render<Repositories>();
            cut.WaitForAssertion(() => Assert.Equal(["team-a/app", "team-b/other"], cut.FindAll("a.repository-link").Select(a => a.TextContent)), Wait);
            Assert.Equal("repository?name=team-a%2Fapp", cut.Find("a.repository-link").GetAttribute("href"));
            // The search reaches the database query: only the match comes back, and the address keeps it (Back returns to it).
            cut.Find("#repository-search").Input("OTHER");
            cut.WaitForAssertion(() => Assert.Equal(["team-b/other"], cut.FindAll("a.repository-link").Select(a => a.TextContent)), Wait);
            Assert.Contains("q=OTHER", admin.Bunit.Services.GetRequiredService<NavigationManager>().Uri);
        }
        await using var alice = await AsAsync("alice");
        var mine = alice.Render<Repositories>();
        mine.WaitForAssertion(() => Assert.Equal(["team-a/app"], mine.FindAll("a.repository-link").Select(a => a.TextContent)), Wait);
        Assert.DoesNotContain("team-b", mine.Markup);
    }

    [Fact]
    public async Task A_repository_lists_its_tags_newest_first_with_pull_commands_and_hides_from_those_not_allowed()
    {
        await using var alice = await AsAsync("alice");
        var cut = alice.RenderAt<Repository>("repository?name=team-a%2Fapp");
        cut.WaitForAssertion(() => Assert.Equal(["2.0", "1.0"], cut.FindAll("a.tag-link").Select(a => a.TextContent)), Wait);
        Assert.Contains("docker pull localhost/team-a/app:2.0", cut.Find("#tags").TextContent);
        // alice may not delete: no delete buttons for her.
        Assert.Empty(cut.FindAll(".delete-tag"));

        var hidden = alice.RenderAt<Repository>("repository?name=team-b%2Fother");
        hidden.WaitForAssertion(() => Assert.Contains("Repository team-b/other not found or not allowed", hidden.Find("#not-visible").TextContent), Wait);
    }

    [Fact]
    public async Task A_manifest_shows_its_digest_and_layers_to_those_who_may_pull_it_only()
    {
        await using var alice = await AsAsync("alice");
        var cut = alice.RenderAt<Manifest>(Links.Manifest("team-a/app", _registry.App.Digest));
        cut.WaitForAssertion(() => Assert.Equal(_registry.App.Digest, cut.Find("#manifest-digest").TextContent.Trim()), Wait);
        Assert.Equal(2, cut.FindAll("a.layer-link").Count);
        Assert.Contains("1.0", cut.Find("#manifest-tags").TextContent);
        // Copyable pulls by digest and by tag.
        Assert.Contains($"docker pull localhost/team-a/app@{_registry.App.Digest}", cut.Markup);
        Assert.Contains("docker pull localhost/team-a/app:1.0", cut.Markup);

        // The same digest asked for under a repository alice may not pull reads as missing.
        var hidden = alice.RenderAt<Manifest>(Links.Manifest("team-b/other", _registry.Other.Digest));
        hidden.WaitForAssertion(() => Assert.Contains("not found or not allowed", hidden.Find("#not-visible").TextContent), Wait);
    }

    [Fact]
    public async Task A_shared_layer_page_lists_only_the_repositories_the_user_may_see()
    {
        var digest = Digests.Sha256(_registry.SharedLayer);
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.RenderAt<Blob>(Links.Blob(digest));
            cut.WaitForAssertion(() => Assert.Contains("team-b/other", cut.Find("#blob-uses").TextContent), Wait);
            Assert.Contains("3 manifests in 2 repositories", cut.Find("#blob-summary").TextContent);
            Assert.Equal("4000", cut.Find("#blob-size span").GetAttribute("title")!.Split(' ')[0].Replace(",", ""));
        }
        await using var alice = await AsAsync("alice");
        var own = alice.RenderAt<Blob>(Links.Blob(digest));
        own.WaitForAssertion(() => Assert.Contains("team-a/app", own.Find("#blob-uses").TextContent), Wait);
        Assert.DoesNotContain("team-b", own.Markup);
        Assert.Contains("2 manifests in 1 repositories", own.Find("#blob-summary").TextContent);
    }

    [Fact]
    public async Task Layer_sharing_names_the_other_repositories_only_to_those_who_may_see_them()
    {
        await using (var admin = await AsAsync(AccessHost.AdminUser))
        {
            var cut = admin.RenderAt<Sharing>(Links.Sharing("team-a/app"));
            cut.WaitForAssertion(() => Assert.Contains("team-b/other", cut.Find("#shared-with").TextContent), Wait);
        }
        await using var alice = await AsAsync("alice");
        var own = alice.RenderAt<Sharing>(Links.Sharing("team-a/app"));
        own.WaitForAssertion(() => Assert.NotEmpty(own.FindAll("#shares-nothing")), Wait);
        var hidden = alice.RenderAt<Sharing>(Links.Sharing("team-b/other"));
        hidden.WaitForAssertion(() => Assert.Contains("not found or not allowed", hidden.Find("#not-visible").TextContent), Wait);
    }
}
