using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Wharf.Portal.Access;
using Wharf.Portal.Components;
using Wharf.Portal.Components.Layout;
using Wharf.Portal.Components.Shared;
using Wharf.Tests.Unit.Portal.Pages;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Shared;

/// <summary>
/// The small pieces around signing in and confirming: the redirect to the sign-in page that keeps where the user was
/// going, the plain layout of the sign-in and setup pages, and the yes/no question before what cannot be undone.
/// </summary>
public sealed class SignInAndConfirmTests : IClassFixture<SignInAndConfirmTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public sealed class Fixture : IAsyncLifetime
    {
        public PortalPageHost Host { get; } = new();

        public Task InitializeAsync() => Host.InitializeAsync();

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    private readonly Fixture _wharf;

    public SignInAndConfirmTests(Fixture wharf) => _wharf = wharf;

    [Fact]
    public async Task Nobody_signed_in_opening_a_page_is_sent_to_sign_in_and_back_afterwards()
    {
        await using var anonymous = await _wharf.Host.SignedInAsAsync(null);
        var navigation = (BunitNavigationManager)anonymous.Bunit.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("repositories?page=2&q=api");
        var cut = anonymous.Render<Routes>();
        cut.WaitForAssertion(() => Assert.EndsWith("account/login?returnUrl=repositories%3Fpage%3D2%26q%3Dapi", navigation.Uri), Wait);
        // A full load: the sign-in page is a plain server-rendered form, not a page of the circuit.
        Assert.True(navigation.History.First().Options.ForceLoad);
        Assert.Empty(cut.FindAll("#role-denied"));
    }

    [Fact]
    public async Task The_redirect_keeps_the_address_the_user_was_going_to()
    {
        await using var anonymous = await _wharf.Host.SignedInAsAsync(null);
        var navigation = (BunitNavigationManager)anonymous.Bunit.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("manifest?repository=team-a/app&digest=sha256:abc");
        anonymous.Render<RedirectToLogin>();
        Assert.Equal("account/login?returnUrl=manifest%3Frepository%3Dteam-a%2Fapp%26digest%3Dsha256%3Aabc", navigation.ToBaseRelativePath(navigation.Uri));
        Assert.True(navigation.History.First().Options.ForceLoad);
    }

    [Theory]
    [InlineData("none", true)]
    [InlineData("token", false)]
    public async Task The_plain_layout_frames_its_page_and_warns_when_registry_authentication_is_off(string mode, bool warned)
    {
        await using var context = new BunitContext();
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddSingleton(AccessSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Wharf:Auth:Mode"] = mode }).Build()));
        var cut = context.Render<PlainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<form id=\"sign-in\"></form>"))));
        Assert.NotNull(cut.Find("main.plain").QuerySelector("#sign-in"));
        Assert.Contains("Wharf", cut.Find("main.plain .brand").TextContent);
        Assert.Equal(warned ? 1 : 0, cut.FindAll("#auth-off-banner").Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_question_names_what_the_confirming_button_does_and_answers_only_yes_to_it(bool yes)
    {
        await using var context = new BunitContext();
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = context.Render<MudDialogProvider>();
        var dialogs = context.Services.GetRequiredService<IDialogService>();
        Task<bool> answer = null!;
        await provider.InvokeAsync(() => { answer = Confirm.AskAsync(dialogs, "Delete user", "Delete user bob? Their access tokens stop working.", "Delete user"); });
        provider.WaitForAssertion(() => Assert.Contains("Delete user bob?", provider.Markup), Wait);
        Assert.Contains("Delete user", provider.Find(".mud-dialog-title").TextContent);
        var buttons = provider.FindAll(".mud-dialog-actions button");
        Assert.Equal(["Cancel", "Delete user"], buttons.Select(b => b.TextContent.Trim()).Order());
        buttons.Single(b => b.TextContent.Trim() == (yes ? "Delete user" : "Cancel")).Click();
        Assert.Equal(yes, await answer);
    }
}
