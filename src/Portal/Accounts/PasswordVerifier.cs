using Microsoft.AspNetCore.Identity;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>The outcome of a password check: the user, or why not (audited, never shown) and, when throttled, when to retry.</summary>
public sealed record PasswordCheck(PortalUser? User, string? Failure, TimeSpan? RetryAfter = null)
{
    public bool Succeeded => User is not null;
    public bool Throttled => RetryAfter is not null;
}

/// <summary>
/// The one place a user's password is checked — portal sign-in, the token endpoint, Basic on /v2, and the current
/// password of the change-password form: the throttle first (a blocked attempt is not checked at all), then the hash.
/// An unknown or disabled user name is checked against a dummy hash, so it takes as long as a known one and the
/// time of an answer does not tell which names exist.
/// </summary>
public sealed class PasswordVerifier(UserManager<PortalUser> users, SignInManager<PortalUser> signIn, SignInThrottle throttle)
{
    private static string? _dummyHash;

    public async Task<PasswordCheck> CheckAsync(string userName, string password, string? clientAddress, CancellationToken cancellationToken)
    {
        var verdict = await throttle.CheckAsync(userName, clientAddress, cancellationToken);
        if (!verdict.Allowed) return new PasswordCheck(null, "throttled", verdict.RetryAfter);

        var user = await users.FindByNameAsync(userName);
        if (user is null || user.Disabled)
        {
            SpendHashTime(password);
            await throttle.RecordFailureAsync(userName, clientAddress, cancellationToken);
            return new PasswordCheck(null, user is null ? "unknown user" : "account disabled");
        }
        // Counting failures is the throttle's job; Identity's own lockout would let anyone lock the account.
        var result = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: false);
        if (result.Succeeded)
        {
            await throttle.RecordSuccessAsync(userName, clientAddress, cancellationToken);
            return new PasswordCheck(user, null);
        }
        await throttle.RecordFailureAsync(userName, clientAddress, cancellationToken);
        return new PasswordCheck(null, result.IsLockedOut ? "locked out" : result.IsNotAllowed ? "not allowed to sign in" : "wrong password");
    }

    /// <summary>Verifies the password against a hash of a random one, with the same hasher and cost as real users'.</summary>
    public void SpendHashTime(string password)
    {
        var dummy = new PortalUser { UserName = "" };
        _dummyHash ??= users.PasswordHasher.HashPassword(dummy, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
        users.PasswordHasher.VerifyHashedPassword(dummy, _dummyHash, password);
    }
}
