using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>
/// The one check every Admin action makes, at the moment it runs: the actor is, in the user database now, an enabled
/// Admin (not merely when their sign-in cookie or circuit was made). A refusal is audited here, once for every action.
/// The command line (an operator with access to Wharf's data directory) acts as <see cref="CommandLineOperator"/>.
/// </summary>
public sealed class AdminGate(IDbContextFactory<PortalDbContext> databases, AuditLog audit)
{
    public const string Refusal = "only an Admin may do this";

    /// <summary>True when the actor may run the action; otherwise records the refusal.</summary>
    public async Task<bool> AllowsAsync(ClaimsPrincipal? actor, string action, string? repository = null, string? target = null, CancellationToken cancellationToken = default)
    {
        if (await IsAdminNowAsync(actor, cancellationToken)) return true;
        audit.Record(ActorName(actor), action, AuditOutcome.Failure, repository, target, "denied: Admin role required");
        return false;
    }

    public async Task<bool> IsAdminNowAsync(ClaimsPrincipal? actor, CancellationToken cancellationToken = default)
    {
        if (actor is null) return false;
        if (CommandLineOperator.Is(actor)) return true;
        if (actor.Identity?.IsAuthenticated != true || !actor.IsInRole(Roles.Admin)) return false;
        var id = actor.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null) return false;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await (from u in db.Users
                      join ur in db.UserRoles on u.Id equals ur.UserId
                      join r in db.Roles on ur.RoleId equals r.Id
                      where u.Id == id && !u.Disabled && r.Name == Roles.Admin
                      select u.Id).AnyAsync(cancellationToken);
    }

    public static string ActorName(ClaimsPrincipal? actor) =>
        actor?.Identity?.IsAuthenticated == true && actor.Identity.Name is { } name ? name : "anonymous";
}
