using System.Security.Claims;
using Wharf.Portal.Accounts;
using Wharf.Registry.Browse;

namespace Wharf.Portal.Access;

/// <summary>
/// What a portal user may see: exactly the repositories they may pull (their grants, their role's, every signed-in
/// user's and anonymous callers' grants; Admins everything), decided by <see cref="RegistryPermissions"/>, the
/// same rules the registry applies to a pull. Built here and nowhere else; the engine's browse queries apply it.
/// </summary>
public sealed class PortalVisibility(RegistryPermissions permissions, AccessSettings settings)
{
    public async Task<RepositoryVisibility> ForAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        // With registry authentication off anyone may pull anything, so hiding a repository in the portal would be theatre.
        if (settings.IsOpen) return RepositoryVisibility.Everything;
        var who = Identity(user);
        if (who?.IsAdmin == true) return RepositoryVisibility.Everything;
        return RepositoryVisibility.Under(await permissions.PullPrefixesAsync(who, cancellationToken));
    }

    private static RegistryIdentity? Identity(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null) return null;
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).Where(r => Roles.All.Contains(r)).ToList();
        return new RegistryIdentity(id, user.Identity.Name ?? "", roles);
    }
}
