using Microsoft.AspNetCore.Authorization;

namespace Wharf.Portal.Accounts;

/// <summary>
/// The portal's authorization policies, in one place: every page needs a portal role (a registry-only account may
/// not browse), the admin pages and endpoints need Admin. Admin actions also re-check at run time (<see cref="AdminGate"/>).
/// </summary>
public static class PortalPolicies
{
    public const string Admin = "Admin";

    public static void Configure(AuthorizationOptions options)
    {
        options.DefaultPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.Portal).Build();
        options.AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
    }
}
