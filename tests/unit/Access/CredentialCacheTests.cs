using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>
/// The token endpoint's brief cache of verified credentials: a repeated token request skips the password hash, yet
/// a password change, a disabled user or a revoked access token is refused at once.
/// </summary>
public sealed class CredentialCacheTests : IAsyncLifetime
{
    private const string Password = "cache-test-password-123";
    private readonly AccessHost _wharf = new();

    public Task InitializeAsync() => _wharf.InitializeAsync();
    public Task DisposeAsync() => _wharf.DisposeAsync();

    private VerifiedCredentials Verified => _wharf.Services.GetRequiredService<VerifiedCredentials>();

    [Fact]
    public async Task A_verified_password_is_remembered_under_an_HMAC_and_answers_again()
    {
        await _wharf.CreateUserAsync("carol", Password);
        Assert.Null(Verified.Get("carol", Password));
        await _wharf.TokenAsync("carol", Password);
        Assert.NotNull(Verified.Get("carol", Password));
        Assert.Null(Verified.Get("carol", Password + "x"));
        await _wharf.TokenAsync("carol", Password);
    }

    [Fact]
    public async Task A_password_change_refuses_the_old_password_at_once()
    {
        await _wharf.CreateUserAsync("carol", Password);
        await _wharf.TokenAsync("carol", Password);
        var changed = await _wharf.AsUserAsync(AccessHost.AdminUser, async (sp, admin) =>
        {
            var users = sp.GetRequiredService<UserAdministration>();
            var id = (await users.ListAsync(admin, new Wharf.Portal.Lists.ListRequest(0, 100), default)).Items.Single(u => u.UserName == "carol").Id;
            return await users.ResetPasswordAsync(admin, id, Password + "-new");
        });
        Assert.True(changed.Succeeded, string.Join("; ", changed.Errors));

        using var refused = await _wharf.RequestTokenAsync("carol", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await _wharf.TokenAsync("carol", Password + "-new");
    }

    [Fact]
    public async Task A_disabled_user_is_refused_at_once()
    {
        await _wharf.CreateUserAsync("carol", Password);
        await _wharf.TokenAsync("carol", Password);
        var disabled = await _wharf.AsUserAsync(AccessHost.AdminUser, async (sp, admin) =>
        {
            var users = sp.GetRequiredService<UserAdministration>();
            var id = (await users.ListAsync(admin, new Wharf.Portal.Lists.ListRequest(0, 100), default)).Items.Single(u => u.UserName == "carol").Id;
            return await users.SetDisabledAsync(admin, id, true);
        });
        Assert.True(disabled.Succeeded, string.Join("; ", disabled.Errors));

        using var refused = await _wharf.RequestTokenAsync("carol", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_revoked_access_token_is_refused_at_once()
    {
        await _wharf.CreateUserAsync("carol", Password);
        var created = await _wharf.CreateAccessTokenAsync("carol", RepositoryActions.Pull);
        await _wharf.TokenAsync("carol", created.Secret);
        Assert.NotNull(Verified.Get("carol", created.Secret));
        var revoked = await _wharf.AsUserAsync("carol", (sp, p) => sp.GetRequiredService<AccessTokens>().RevokeAsync(p, created.Token.Id, default));
        Assert.True(revoked.Succeeded);

        using var refused = await _wharf.RequestTokenAsync("carol", created.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Null(Verified.Get("carol", created.Secret));
    }
}
