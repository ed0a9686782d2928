using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Wharf.Portal.Components.Shared;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Shared;

/// <summary>
/// The new-password dialog on its own, opened the way the users page opens it (<see cref="PasswordDialog.AskAsync"/>):
/// what it hands back on Set and on Cancel, that Set needs something typed, and that the password is a password field
/// whose text is gone from the page once the dialog closes. Checking the password's rules is the server's business
/// (the users page shows what it refuses), so the dialog has none of its own.
/// </summary>
public sealed class PasswordDialogTests : IAsyncLifetime
{
    private const string Secret = "a-new-password-for-bob";
    private readonly BunitContext _context = new();
    private IRenderedComponent<MudDialogProvider> _provider = null!;

    public PasswordDialogTests()
    {
        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync()
    {
        _provider = _context.Render<MudDialogProvider>();
        return Task.CompletedTask;
    }

    // MudBlazor's services are only asynchronously disposable.
    public async Task DisposeAsync() => await _context.DisposeAsync();

    private Task<string?> Ask()
    {
        var dialogs = _context.Services.GetRequiredService<IDialogService>();
        Task<string?> answer = null!;
        // Opened on the renderer's thread; the answer comes once the dialog closes.
        _provider.InvokeAsync(() => { answer = PasswordDialog.AskAsync(dialogs, "New password for bob"); }).GetAwaiter().GetResult();
        _provider.WaitForElement("#prompt-password");
        return answer;
    }

    private bool SetDisabled => _provider.Find("#prompt-ok").HasAttribute("disabled");

    [Fact]
    public async Task Set_hands_back_what_was_typed_and_the_password_leaves_the_page()
    {
        var answer = Ask();
        Assert.Contains("New password for bob", _provider.Find(".mud-dialog-title").TextContent);
        var field = _provider.Find("#prompt-password");
        Assert.Equal("password", field.GetAttribute("type"));
        Assert.Equal("new-password", field.GetAttribute("autocomplete"));

        _provider.Find("#prompt-password").Input(Secret);
        Assert.False(SetDisabled);
        _provider.Find("#prompt-ok").Click();

        Assert.Equal(Secret, await answer);
        _provider.WaitForAssertion(() => Assert.Empty(_provider.FindAll("#prompt-password")));
        Assert.DoesNotContain(Secret, _provider.Markup);
    }

    [Fact]
    public async Task Set_is_disabled_until_something_is_typed_and_again_when_it_is_cleared()
    {
        var answer = Ask();
        Assert.True(SetDisabled);
        _provider.Find("#prompt-password").Input("x");
        Assert.False(SetDisabled);
        _provider.Find("#prompt-password").Input("");
        Assert.True(SetDisabled);
        Assert.False(answer.IsCompleted);

        _provider.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Contains("Cancel")).Click();
        Assert.Null(await answer);
    }

    [Fact]
    public async Task Cancel_hands_back_nothing_even_after_typing()
    {
        var answer = Ask();
        _provider.Find("#prompt-password").Input(Secret);
        _provider.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Contains("Cancel")).Click();
        Assert.Null(await answer);
        _provider.WaitForAssertion(() => Assert.Empty(_provider.FindAll("#prompt-password")));
        Assert.DoesNotContain(Secret, _provider.Markup);
    }

    [Fact]
    public async Task A_second_dialog_starts_empty()
    {
        var first = Ask();
        _provider.Find("#prompt-password").Input(Secret);
        _provider.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Contains("Cancel")).Click();
        Assert.Null(await first);

        var second = Ask();
        Assert.True(SetDisabled);
        Assert.DoesNotContain(Secret, _provider.Markup);
        _provider.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Contains("Cancel")).Click();
        Assert.Null(await second);
    }
}
