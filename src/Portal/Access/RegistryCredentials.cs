using Microsoft.AspNetCore.Identity;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Access;

/// <summary>The outcome of a credential check: the identity, or a reason that is audited but never shown to the client.</summary>
public sealed record CredentialCheck(RegistryIdentity? Identity, string? Reason, TimeSpan? RetryAfter = null)
{
    public bool Succeeded => Identity is not null;
    /// <summary>Refused unchecked: too many failures for this account from this address (answer 429).</summary>
    public bool Throttled => RetryAfter is not null;

    /// <summary>The user's security stamp as it was when the secret was checked (it changes with the password).</summary>
    public string? SecurityStamp { get; init; }
}

/// <summary>
/// Checks registry credentials: a user name with the user's password (through <see cref="PasswordVerifier"/>, as a
/// portal sign-in is) or with one of the user's access tokens; failures of both are counted by the
/// <see cref="SignInThrottle"/>. Refusals are audited (throttled ones in aggregate, by the throttle); the secret never is.
/// </summary>
public sealed class RegistryCredentials(UserManager<PortalUser> users, PasswordVerifier passwords, SignInThrottle throttle, AccessTokens tokens, AuditLog audit,
    VerifiedCredentials verified)
{
    public async Task<CredentialCheck> VerifyAsync(string userName, string secret, string? clientAddress, string auditAction, CancellationToken cancellationToken)
    {
        var check = await CheckAsync(userName, secret, clientAddress, cancellationToken);
        if (!check.Succeeded && !check.Throttled)
            audit.Record(string.IsNullOrWhiteSpace(userName) ? "anonymous" : Shorten(userName), auditAction, AuditOutcome.Failure, detail: check.Reason, clientAddress: clientAddress);
        return check;
    }

    /// <summary>
    /// <see cref="VerifyAsync"/> through <see cref="VerifiedCredentials"/>: credentials that passed in the last minute
    /// skip the password hash but are re-checked against the user and token as they are now (a few indexed reads).
    /// </summary>
    public async Task<CredentialCheck> VerifyCachedAsync(string userName, string secret, string? clientAddress, string auditAction, CancellationToken cancellationToken)
    {
        if (verified.Get(userName, secret) is { } known)
        {
            if (await RecheckAsync(known, cancellationToken) is { } identity) return new CredentialCheck(identity, null) { SecurityStamp = known.SecurityStamp };
            verified.Remove(userName, secret);
        }
        var check = await VerifyAsync(userName, secret, clientAddress, auditAction, cancellationToken);
        if (check.Identity is { } who) verified.Add(userName, secret, new VerifiedCredential(who, check.SecurityStamp));
        return check;
    }

    /// <summary>
    /// The identity of credentials verified earlier, if they would still pass: the user exists, is not disabled, has the same security stamp (no password change since), and the access token is still active.
    /// </summary>
    public async Task<RegistryIdentity?> RecheckAsync(VerifiedCredential credential, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(credential.Identity.UserId);
        if (user is null || user.Disabled) return null;
        if (!string.Equals(credential.SecurityStamp, user.SecurityStamp, StringComparison.Ordinal)) return null;
        if (credential.Identity.AccessTokenId is not { } id) return await IdentityAsync(user, null);
        var token = await tokens.FindActiveAsync(id, cancellationToken);
        return token is null || token.UserId != user.Id ? null : await IdentityAsync(user, token);
    }

    private async Task<CredentialCheck> CheckAsync(string userName, string secret, string? clientAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(secret) || userName.Length > 256 || secret.Length > 1024)
            return new(null, "malformed credentials");

        if (!AccessTokens.LooksLikeToken(secret))
        {
            var password = await passwords.CheckAsync(userName, secret, clientAddress, cancellationToken);
            return password.User is { } signedIn
                ? new(await IdentityAsync(signedIn, null), null) { SecurityStamp = signedIn.SecurityStamp }
                : new(null, password.Failure, password.RetryAfter);
        }

        var verdict = await throttle.CheckAsync(userName, clientAddress, cancellationToken);
        if (!verdict.Allowed) return new(null, "throttled", verdict.RetryAfter);
        // The token is looked up whoever the user is, so an unknown name answers no faster than a known one.
        var token = await tokens.FindActiveAsync(secret, cancellationToken);
        var user = await users.FindByNameAsync(userName);
        string? failure = user is null ? "unknown user"
            : user.Disabled ? "account disabled"
            : token is null || token.UserId != user.Id ? "unknown, expired or revoked access token"
            : null;
        if (failure is not null)
        {
            await throttle.RecordFailureAsync(userName, clientAddress, cancellationToken);
            return new(null, failure);
        }
        await throttle.RecordSuccessAsync(userName, clientAddress, cancellationToken);
        return new(await IdentityAsync(user!, token), null) { SecurityStamp = user!.SecurityStamp };
    }

    /// <summary>
    /// The identity of a user (and access token) named by an earlier credential check, as it stands now: null when
    /// the user was deleted or disabled, its password changed since (<paramref name="securityStamp"/>), or the token
    /// expired or was revoked.
    /// </summary>
    public async Task<RegistryIdentity?> LoadAsync(string userId, long? accessTokenId, string? securityStamp, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.Disabled) return null;
        if (securityStamp is not null && !string.Equals(securityStamp, user.SecurityStamp, StringComparison.Ordinal)) return null;
        if (accessTokenId is not { } id) return await IdentityAsync(user, null);
        var token = await tokens.FindActiveAsync(id, cancellationToken);
        return token is null || token.UserId != user.Id ? null : await IdentityAsync(user, token);
    }

    public async Task<string?> SecurityStampAsync(string userId) => (await users.FindByIdAsync(userId))?.SecurityStamp;

    private async Task<RegistryIdentity> IdentityAsync(PortalUser user, AccessToken? token)
    {
        var roles = (await users.GetRolesAsync(user)).ToList();
        var identity = new RegistryIdentity(user.Id, user.UserName!, roles);
        return token is null ? identity : identity with
        {
            AccessTokenId = token.Id,
            TokenActions = RepositoryActionsText.Parse(token.Actions),
            TokenPrefix = token.RepositoryPrefix,
        };
    }

    private static string Shorten(string text) => text.Length > 100 ? text[..100] + "…" : text;
}
