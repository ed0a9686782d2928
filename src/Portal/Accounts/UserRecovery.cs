using Microsoft.AspNetCore.Identity;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>
/// The one rule for getting a user back in: unlock (forget every counted failure, from every address, and any
/// lockout) and reset the password (which also unlocks, and signs the user out everywhere). No role check here:
/// callers are the Admin-checked <see cref="UserAdministration"/> and Wharf's command line, whose operator already
/// holds the data directory. Audited with the acting name.
/// </summary>
public sealed class UserRecovery(UserManager<PortalUser> users, SignInThrottle throttle, AuditLog audit)
{
    /// <summary>The acting name the command line records.</summary>
    public const string CommandLineActor = "wharf (command line)";

    public async Task<UserChangeResult> UnlockAsync(string actor, string userName, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null) return UserChangeResult.Fail($"no user named '{userName}'");
        await UnlockAsync(user, cancellationToken);
        audit.Record(actor, "user.unlock", AuditOutcome.Success, target: user.UserName);
        return UserChangeResult.Ok;
    }

    public async Task<UserChangeResult> ResetPasswordAsync(string actor, string userName, string newPassword, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null) return UserChangeResult.Fail($"no user named '{userName}'");
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, newPassword);
        if (result.Succeeded) await UnlockAsync(user, cancellationToken);
        audit.Record(actor, "user.reset-password", result.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure, target: user.UserName);
        return UserChangeResult.From(result);
    }

    private async Task UnlockAsync(PortalUser user, CancellationToken cancellationToken)
    {
        await throttle.ForgetAccountAsync(user.UserName!, cancellationToken);
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
    }
}
