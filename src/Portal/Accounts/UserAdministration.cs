using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Portal.Lists;
using Wharf.Registry.Browse;

namespace Wharf.Portal.Accounts;

public sealed record UserSummary(string Id, string UserName, string Role, bool Disabled, bool LockedOut, DateTime CreatedAt);

/// <summary>The result of a user change: success, or the reasons it was refused.</summary>
public sealed record UserChangeResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static readonly UserChangeResult Ok = new(true, []);
    public static UserChangeResult Fail(params string[] errors) => new(false, errors);
    public static UserChangeResult From(IdentityResult r) => r.Succeeded ? Ok : new(false, r.Errors.Select(e => e.Description).ToList());
}

/// <summary>
/// Users and their roles. Every change is checked against the acting user's role here, on the server, and audited:
/// a page that merely hides a button is not a permission.
/// </summary>
public sealed class UserAdministration(UserManager<PortalUser> users, PortalDbContext roles, AdminGate gate, AuditLog audit, UserRecovery recovery, PasswordVerifier passwords)
{
    /// <summary>One page of the users, sorted and searched in the database (the role is joined there too); none for a non-Admin.</summary>
    public async Task<Page<UserSummary>> ListAsync(ClaimsPrincipal actor, ListRequest request, CancellationToken cancellationToken)
    {
        if (!await gate.IsAdminNowAsync(actor, cancellationToken)) return new Page<UserSummary>([], 0);
        var rows = users.Users.AsNoTracking().Select(u => new
        {
            u.Id,
            u.UserName,
            u.Disabled,
            u.LockoutEnd,
            u.CreatedAt,
            Role = roles.UserRoles.Where(r => r.UserId == u.Id).Join(roles.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).FirstOrDefault(),
        });
        if (request.Needle is { } needle) rows = rows.Where(u => u.UserName!.ToLower().Contains(needle));
        var total = await rows.CountAsync(cancellationToken);
        rows = (request.SortBy?.ToLowerInvariant(), request.Descending) switch
        {
            ("role", false) => rows.OrderBy(u => u.Role).ThenBy(u => u.UserName),
            ("role", true) => rows.OrderByDescending(u => u.Role).ThenBy(u => u.UserName),
            ("createdat", false) => rows.OrderBy(u => u.CreatedAt).ThenBy(u => u.UserName),
            ("createdat", true) => rows.OrderByDescending(u => u.CreatedAt).ThenBy(u => u.UserName),
            (_, true) => rows.OrderByDescending(u => u.UserName),
            _ => rows.OrderBy(u => u.UserName),
        };
        var page = await rows.Skip(request.SafeSkip).Take(request.SafeTake).ToListAsync(cancellationToken);
        // LockoutEnd is compared here: SQLite cannot compare DateTimeOffset values in a query.
        var now = DateTimeOffset.UtcNow;
        return new Page<UserSummary>(page.Select(u => new UserSummary(u.Id, u.UserName!, u.Role ?? Roles.Viewer, u.Disabled, u.LockoutEnd > now, u.CreatedAt)).ToList(), total);
    }

    public Task<bool> AnyAsync() => users.Users.AnyAsync();

    /// <summary>Creates a user; only an Admin may, except for the very first user (the setup page), who becomes an Admin.</summary>
    public async Task<UserChangeResult> CreateAsync(ClaimsPrincipal? actor, string userName, string password, string role)
    {
        var first = !await users.Users.AnyAsync();
        if (!first && !await gate.AllowsAsync(actor, "user.create", target: userName)) return UserChangeResult.Fail(AdminGate.Refusal);
        if (first) role = Roles.Admin;
        if (!Roles.All.Contains(role)) return UserChangeResult.Fail($"unknown role '{role}'");
        var user = new PortalUser { UserName = userName.Trim(), CreatedAt = DateTime.UtcNow, LockoutEnabled = true };
        var created = await users.CreateAsync(user, password);
        if (created.Succeeded) created = await users.AddToRoleAsync(user, role);
        audit.Record(Name(actor) ?? userName, "user.create", Outcome(created), target: userName, detail: $"role {role}");
        return UserChangeResult.From(created);
    }

    public async Task<UserChangeResult> SetDisabledAsync(ClaimsPrincipal actor, string userId, bool disabled)
    {
        var (user, refused) = await TargetAsync(actor, userId, disabled ? "user.disable" : "user.enable");
        if (user is null) return refused!;
        if (disabled && user.UserName == Name(actor)) return UserChangeResult.Fail("you cannot disable yourself");
        user.Disabled = disabled;
        var result = await users.UpdateAsync(user);
        // A new security stamp signs the user out of existing sessions at the next validation.
        if (result.Succeeded) await users.UpdateSecurityStampAsync(user);
        audit.Record(Name(actor)!, disabled ? "user.disable" : "user.enable", Outcome(result), target: user.UserName);
        return UserChangeResult.From(result);
    }

    public async Task<UserChangeResult> DeleteAsync(ClaimsPrincipal actor, string userId)
    {
        var (user, refused) = await TargetAsync(actor, userId, "user.delete");
        if (user is null) return refused!;
        if (user.UserName == Name(actor)) return UserChangeResult.Fail("you cannot delete yourself");
        var result = await users.DeleteAsync(user);
        audit.Record(Name(actor)!, "user.delete", Outcome(result), target: user.UserName);
        return UserChangeResult.From(result);
    }

    public async Task<UserChangeResult> ResetPasswordAsync(ClaimsPrincipal actor, string userId, string newPassword)
    {
        var (user, refused) = await TargetAsync(actor, userId, "user.reset-password");
        if (user is null) return refused!;
        return await recovery.ResetPasswordAsync(Name(actor)!, user.UserName!, newPassword, CancellationToken.None);
    }

    /// <summary>Lets a user sign in again at once: every failure counted against them, from any address, is forgotten.</summary>
    public async Task<UserChangeResult> UnlockAsync(ClaimsPrincipal actor, string userId)
    {
        var (user, refused) = await TargetAsync(actor, userId, "user.unlock");
        if (user is null) return refused!;
        return await recovery.UnlockAsync(Name(actor)!, user.UserName!, CancellationToken.None);
    }

    public async Task<UserChangeResult> SetRoleAsync(ClaimsPrincipal actor, string userId, string role)
    {
        var (user, refused) = await TargetAsync(actor, userId, "user.role");
        if (user is null) return refused!;
        if (!Roles.All.Contains(role)) return UserChangeResult.Fail($"unknown role '{role}'");
        if (user.UserName == Name(actor) && role != Roles.Admin) return UserChangeResult.Fail("you cannot take the Admin role from yourself");
        var result = await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
        if (result.Succeeded) result = await users.AddToRoleAsync(user, role);
        if (result.Succeeded) await users.UpdateSecurityStampAsync(user);
        audit.Record(Name(actor)!, "user.role", Outcome(result), target: user.UserName, detail: role);
        return UserChangeResult.From(result);
    }

    /// <summary>The id of the user with this name, for the command line.</summary>
    public async Task<string?> IdOfAsync(string userName) => (await users.FindByNameAsync(userName.Trim()))?.Id;

    /// <summary>
    /// Changes the signed-in user's password. The current password is checked as a sign-in is, throttled per account
    /// and address, so a borrowed session cannot be used to guess it.
    /// </summary>
    public async Task<UserChangeResult> ChangeOwnPasswordAsync(ClaimsPrincipal actor, string currentPassword, string newPassword, string? clientAddress = null)
    {
        var user = await users.GetUserAsync(actor);
        if (user is null) return UserChangeResult.Fail("not signed in");
        var check = await passwords.CheckAsync(user.UserName!, currentPassword, clientAddress, CancellationToken.None);
        if (!check.Succeeded)
        {
            audit.Record(user.UserName!, "user.change-password", AuditOutcome.Failure, target: user.UserName, detail: check.Failure, clientAddress: clientAddress);
            return UserChangeResult.Fail(check.Throttled
                ? $"Too many wrong passwords: try again in {Math.Ceiling(check.RetryAfter!.Value.TotalSeconds)} seconds."
                : "The current password is wrong.");
        }
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        audit.Record(user.UserName!, "user.change-password", Outcome(result), target: user.UserName, clientAddress: clientAddress);
        return UserChangeResult.From(result);
    }

    private async Task<(PortalUser? User, UserChangeResult? Refused)> TargetAsync(ClaimsPrincipal actor, string userId, string action)
    {
        if (!await gate.AllowsAsync(actor, action, target: userId)) return (null, UserChangeResult.Fail(AdminGate.Refusal));
        var user = await users.FindByIdAsync(userId);
        return user is null ? (null, UserChangeResult.Fail("no such user")) : (user, null);
    }

    private static string? Name(ClaimsPrincipal? actor) => actor?.Identity?.IsAuthenticated == true ? actor.Identity.Name : null;
    private static string Outcome(IdentityResult r) => r.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure;
}
