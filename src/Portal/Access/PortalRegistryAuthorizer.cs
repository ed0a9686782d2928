using System.Net.Http.Headers;
using System.Text;
using Wharf.Registry;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>
/// The registry's authorization point for the token and basic modes. A request either carries a bearer token from
/// <c>/auth/token</c> (token mode) or Basic credentials (basic mode), or nothing, in which case only what anonymous
/// callers are granted is allowed (and <c>GET /v2/</c> always answers with the challenge, as clients expect).
/// <list type="bullet">
/// <item>no or bad credentials, or a token lacking what the caller may do: 401 UNAUTHORIZED with the challenge, so
/// the client logs in or fetches a token for the right scope;</item>
/// <item>a signed-in caller who may not do it at all: 403 DENIED.</item>
/// </list>
/// </summary>
/// <remarks>
/// A singleton: the bearer path (every pull's requests) needs only the token and the permissions. The credential
/// checks, which need the portal's user store, are resolved from the request's services when Basic credentials or
/// a 403 decision call for them.
/// </remarks>
public sealed class PortalRegistryAuthorizer(
    AccessSettings settings, RegistryChallenge challenge, RegistryTokens tokens, RegistryPermissions permissions) : IRegistryAuthorizer
{
    /// <summary>What was found out about the caller once per request: the identity and, in token mode, the token's claims.</summary>
    private sealed record Caller(RegistryIdentity? Identity, TokenClaims? Token, bool Presented);

    private static readonly object CallerKey = new();

    public async ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        var caller = await IdentifyAsync(context, access);
        foreach (var item in access)
        {
            if (await AllowsAsync(caller, item, context.RequestAborted)) continue;
            if (!caller.Presented || caller.Token is { IsAnonymous: true })
                throw challenge.Unauthorized(context, access, caller.Token is null ? null : "insufficient_scope");
            var who = caller.Identity ?? await LiveIdentityAsync(context, caller.Token!);
            if (who is not null && caller.Token is not null && await MayAsync(who, item, context.RequestAborted))
                throw challenge.Unauthorized(context, access, "insufficient_scope", "the token does not cover this request; fetch one for the scope in the challenge");
            throw new RegistryException(RegistryError.Denied, Denial(item));
        }
        return new RegistryCaller(caller.Identity?.UserName ?? caller.Token?.UserName, context.Connection.RemoteIpAddress?.ToString());
    }

    public async ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access)
    {
        try
        {
            return await AllowsAsync(await IdentifyAsync(context, [access]), access, context.RequestAborted);
        }
        catch (RegistryException)
        {
            return false;
        }
    }

    private async Task<bool> AllowsAsync(Caller caller, RegistryAccess access, CancellationToken cancellationToken)
    {
        if (access.Action == RegistryAction.Base) return caller.Presented;
        if (caller.Token is { } token) return token.Access.Any(s => s.Allows(access)) || await AnonymousMayAsync(access, cancellationToken);
        return await MayAsync(caller.Identity, access, cancellationToken);
    }

    private async Task<bool> AnonymousMayAsync(RegistryAccess access, CancellationToken cancellationToken) => await MayAsync(null, access, cancellationToken);

    private async Task<bool> MayAsync(RegistryIdentity? who, RegistryAccess access, CancellationToken cancellationToken)
    {
        if (access.Action == RegistryAction.Catalog) return RegistryPermissions.CanListCatalog(who);
        if (access.Repository is null) return false;
        var needed = access.Action switch
        {
            RegistryAction.Pull => RepositoryActions.Pull,
            RegistryAction.Push => RepositoryActions.Push,
            RegistryAction.Delete => RepositoryActions.Delete,
            _ => RepositoryActions.All,
        };
        return (await permissions.AllowedAsync(who, access.Repository, cancellationToken) & needed) == needed;
    }

    /// <summary>Reads the Authorization header once per request; bad credentials end the request with a challenge.</summary>
    private async Task<Caller> IdentifyAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        if (context.Items.TryGetValue(CallerKey, out var known) && known is Caller cached) return cached;
        var caller = await ReadCredentialsAsync(context, access);
        context.Items[CallerKey] = caller;
        return caller;
    }

    private async Task<Caller> ReadCredentialsAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header) || string.IsNullOrEmpty(header.Parameter))
            return new Caller(null, null, false);

        if (settings.Mode == RegistryAuthMode.Token)
        {
            if (!header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return new Caller(null, null, false);
            var claims = await tokens.ValidateAccessAsync(header.Parameter)
                ?? throw challenge.Unauthorized(context, access, "invalid_token", "the bearer token is invalid or expired");
            return new Caller(null, claims, true);
        }

        if (!header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return new Caller(null, null, false);
        if (!BasicCredentials.TryDecode(header.Parameter, out var user, out var secret))
            throw challenge.Unauthorized(context, access, message: "malformed Basic credentials");
        var check = await Credentials(context).VerifyCachedAsync(user, secret, context.Connection.RemoteIpAddress?.ToString(), "registry.basic-refused", context.RequestAborted);
        if (check.Throttled) throw Throttled(check.RetryAfter!.Value);
        var identity = check.Identity ?? throw challenge.Unauthorized(context, access, message: "wrong user name or password");
        return new Caller(identity, null, true);
    }

    private static RegistryException Throttled(TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var refusal = new RegistryException(RegistryError.TooManyRequests, $"too many failed authentications for this account from your address; retry in {seconds} seconds");
        refusal.Headers["Retry-After"] = seconds;
        return refusal;
    }

    /// <summary>The token's user as they are now, to tell "fetch a token for this scope" (401) from "you may not" (403).</summary>
    private static async Task<RegistryIdentity?> LiveIdentityAsync(HttpContext context, TokenClaims token) =>
        token.IsAnonymous ? null : await Credentials(context).LoadAsync(token.Subject, token.AccessTokenId, null, context.RequestAborted);

    private static RegistryCredentials Credentials(HttpContext context) => context.RequestServices.GetRequiredService<RegistryCredentials>();

    private static string Denial(RegistryAccess access) => access.Action switch
    {
        RegistryAction.Catalog => "requested access to the resource is denied: listing the catalog needs the Admin role",
        RegistryAction.Push => $"requested access to the resource is denied: you may not push to {access.Repository}",
        RegistryAction.Delete => $"requested access to the resource is denied: you may not delete from {access.Repository}",
        _ => $"requested access to the resource is denied: you may not pull from {access.Repository}",
    };
}

/// <summary>The <c>Basic</c> scheme's <c>base64(user:password)</c>.</summary>
public static class BasicCredentials
{
    public static bool TryDecode(string? parameter, out string user, out string secret)
    {
        user = secret = "";
        if (string.IsNullOrEmpty(parameter) || parameter.Length > 4096) return false;
        var buffer = new byte[parameter.Length];
        if (!Convert.TryFromBase64String(parameter, buffer, out var length)) return false;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var colon = text.IndexOf(':');
        if (colon <= 0) return false;
        user = text[..colon];
        secret = text[(colon + 1)..];
        return secret.Length > 0;
    }
}
