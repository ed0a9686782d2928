namespace Wharf.Portal.Accounts;

/// <summary>
/// Creates the first Admin from the /setup page: only while no user exists, only with the one-time code from
/// Wharf's log, and with wrong codes throttled per client address like wrong passwords.
/// </summary>
public sealed class FirstAdminSetup(UserAdministration administration, SetupCode code, SignInThrottle throttle)
{
    /// <summary>The name the throttle counts wrong codes under.</summary>
    private const string ThrottleName = "(setup code)";

    public Task<bool> IsOpenAsync() => administration.AnyAsync().ContinueWith(t => !t.Result, TaskScheduler.Default);

    public async Task<UserChangeResult> CreateAsync(string setupCode, string userName, string password, string? clientAddress, CancellationToken cancellationToken)
    {
        if (await administration.AnyAsync()) return UserChangeResult.Fail("Wharf is already set up");
        var verdict = await throttle.CheckAsync(ThrottleName, clientAddress, cancellationToken);
        if (!verdict.Allowed) return UserChangeResult.Fail($"Too many wrong codes: try again in {Math.Ceiling(verdict.RetryAfter.TotalSeconds)} seconds.");
        if (!code.Matches(setupCode))
        {
            await throttle.RecordFailureAsync(ThrottleName, clientAddress, cancellationToken);
            return UserChangeResult.Fail("The setup code is wrong: use the one-time code Wharf printed to its log at start.");
        }
        // CreateAsync itself refuses anyone but an Admin once a user exists, so a race cannot add a second "first" admin.
        return await administration.CreateAsync(null, userName, password, Roles.Admin);
    }
}
