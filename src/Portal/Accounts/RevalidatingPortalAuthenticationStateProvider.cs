using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>
/// Keeps an open portal circuit true to the user database: every <see cref="PortalSessionOptions.RevalidationInterval"/>
/// it compares the security stamp (changed by disabling, a role change or a password reset). A deleted or disabled
/// user, or one who may no longer use the portal, is signed out of the circuit; a user whose role changed gets their
/// new role in place, so a demoted Admin sees the admin pages close without losing the page they are on.
/// </summary>
public sealed class RevalidatingPortalAuthenticationStateProvider(
    ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<PortalSessionOptions> options, IOptions<IdentityOptions> identity)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.GetUserAsync(state.User);
        if (user is null || user.Disabled) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        var stamp = state.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        if (stamp == await users.GetSecurityStampAsync(user)) return true;

        var roles = await users.GetRolesAsync(user);
        if (!roles.Any(r => Roles.Portal.Contains(r))) return false;
        var factory = scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>();
        var principal = await factory.CreateAsync(user);
        // Starts a new revalidation loop over the new principal (the base class restarts it on every state change).
        SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        return true;
    }
}
