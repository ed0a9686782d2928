using System.Net.Http.Headers;
using Wharf.Registry;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>
/// <c>auth.token</c> with distribution's semantics: every /v2 request needs a bearer token of the external token
/// server, and what it may do is exactly what the token's <c>access</c> claim lists (<c>GET /v2/</c> needs a valid
/// token only). No token, an invalid one, or one whose access does not cover the request: 401 with the challenge
/// (<c>error="invalid_token"</c> or <c>"insufficient_scope"</c>), so the client asks the token server again. Portal
/// users and grants play no part for /v2 in this mode: the token server decides.
/// </summary>
public sealed partial class ExternalTokenAuthorizer(ExternalTokenVerifier verifier, RegistryChallenge challenge, ILogger<ExternalTokenAuthorizer> logger) : IRegistryAuthorizer
{
    private static readonly object ClaimsKey = new();

    public async ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        var claims = await ClaimsAsync(context, access)
            ?? throw challenge.Unauthorized(context, access);
        foreach (var item in access)
            if (!Allows(claims, item))
                throw challenge.Unauthorized(context, access, "insufficient_scope", "the token's access claim does not cover this request");
        return new RegistryCaller(claims.Subject.Length > 0 ? claims.Subject : null, context.Connection.RemoteIpAddress?.ToString());
    }

    public async ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access)
    {
        try
        {
            return await ClaimsAsync(context, [access]) is { } claims && Allows(claims, access);
        }
        catch (RegistryException)
        {
            return false;
        }
    }

    private static bool Allows(TokenClaims claims, RegistryAccess access) =>
        access.Action == RegistryAction.Base || claims.Access.Any(scope => scope.Allows(access));

    /// <summary>The token's claims, once per request; null without a bearer token; an invalid one ends the request.</summary>
    private async Task<TokenClaims?> ClaimsAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        if (context.Items.TryGetValue(ClaimsKey, out var known)) return known as TokenClaims;
        TokenClaims? claims = null;
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            && header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(header.Parameter))
        {
            var check = await verifier.VerifyAsync(header.Parameter);
            if (check.Claims is null)
            {
                LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", check.Failure ?? "invalid token");
                throw challenge.Unauthorized(context, access, "invalid_token", "the bearer token is invalid or expired");
            }
            claims = check.Claims;
        }
        context.Items[ClaimsKey] = claims;
        return claims;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bearer token from {Client} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string client, string reason);
}
