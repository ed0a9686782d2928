using System.Globalization;
using System.Net.Http.Headers;
using Wharf.Registry;
using Wharf.Registry.Api;
using Wharf.Registry.Auth;
using Wharf.Registry.Content;

namespace Wharf.Portal.Access;

/// <summary>
/// <c>/auth/token</c>, the token endpoint of distribution's token protocol: <c>GET</c> with Basic credentials (a
/// password or an access token; none for anonymous) and <c>scope</c> parameters, and the OAuth form
/// <c>POST</c> with <c>grant_type=password</c> or <c>refresh_token</c>. The token grants only what the caller may do
/// of what was asked for. Refused credentials are audited; failed ones are throttled (SignInThrottle), successful ones never.
/// </summary>
public static class TokenEndpoint
{
    public const string Path = "/auth/token";
    /// <summary>The same endpoint under /v2/, where challenges point by default: fronts often proxy only /v2/.</summary>
    public const string V2Path = "/v2/auth/token";

    public static IEndpointRouteBuilder MapTokenEndpoint(this IEndpointRouteBuilder endpoints)
    {
        foreach (var path in new[] { Path, V2Path })
        {
            endpoints.MapGet(path, GetAsync);
            // Command-line clients post a form without an anti-forgery token; no cookie is read here, so there is nothing to forge.
            endpoints.MapPost(path, PostAsync).DisableAntiforgery();
        }
        return endpoints;
    }

    private static async Task GetAsync(HttpContext context, RegistryCredentials credentials, RegistryTokens tokens, RegistryPermissions permissions, AccessSettings settings)
    {
        var query = context.Request.Query;
        if (!ServiceMatches(query["service"], settings)) { await UnknownServiceAsync(context, settings); return; }
        RegistryIdentity? who = null;
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (!BasicCredentials.TryDecode(header.Parameter, out var user, out var secret))
            {
                await RefuseAsync(context, "malformed Basic credentials");
                return;
            }
            var check = await credentials.VerifyCachedAsync(user, secret, Address(context), "token.refused", context.RequestAborted);
            if (check.Throttled)
            {
                await ThrottledAsync(context, check.RetryAfter!.Value);
                return;
            }
            // A Docker daemon sends its Docker Hub login to every mirror; credentials Wharf does not know must not
            // refuse what anonymous callers may do anyway (a public mirror's pulls). docker login (no scope) is refused.
            if (!check.Succeeded && !await AnonymousMayAllAsync(RegistryScope.ParseAll(query["scope"]), permissions, context.RequestAborted))
            {
                await RefuseAsync(context, "wrong user name or password");
                return;
            }
            who = check.Identity;
        }
        var offline = string.Equals(query["offline_token"], "true", StringComparison.OrdinalIgnoreCase);
        await IssueAsync(context, who, RegistryScope.ParseAll(query["scope"]), offline, credentials, tokens, permissions);
    }

    private static async Task PostAsync(HttpContext context, RegistryCredentials credentials, RegistryTokens tokens, RegistryPermissions permissions, AccessSettings settings)
    {
        if (!context.Request.HasFormContentType)
        {
            await RegistryErrorWriter.WriteAsync(context, RegistryError.Unsupported.WithStatus(400), "post an application/x-www-form-urlencoded form", null);
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!ServiceMatches(form["service"], settings)) { await UnknownServiceAsync(context, settings); return; }
        RegistryIdentity? who;
        var offline = string.Equals(form["access_type"], "offline", StringComparison.OrdinalIgnoreCase);
        switch (form["grant_type"].ToString())
        {
            case "password":
                var check = await credentials.VerifyCachedAsync(form["username"].ToString(), form["password"].ToString(), Address(context), "token.refused", context.RequestAborted);
                if (check.Throttled)
                {
                    await ThrottledAsync(context, check.RetryAfter!.Value);
                    return;
                }
                who = check.Identity;
                break;
            case "refresh_token":
                who = null;
                if (await tokens.ValidateRefreshAsync(form["refresh_token"].ToString()) is { IsAnonymous: false } refresh)
                    who = await credentials.LoadAsync(refresh.Subject, refresh.AccessTokenId, refresh.SecurityStamp, context.RequestAborted);
                if (who is null)
                    context.RequestServices.GetRequiredService<Audit.AuditLog>().Record("anonymous", "token.refused", Data.AuditOutcome.Failure,
                        detail: "invalid, expired or outdated refresh token", clientAddress: Address(context));
                offline = true;
                break;
            default:
                await RegistryErrorWriter.WriteAsync(context, RegistryError.Unsupported.WithStatus(400), "grant_type must be password or refresh_token", null);
                return;
        }
        if (who is null)
        {
            await RefuseAsync(context, "wrong user name or password, or an invalid refresh token");
            return;
        }
        await IssueAsync(context, who, RegistryScope.ParseAll(form["scope"]), offline, credentials, tokens, permissions);
    }

    private static async Task IssueAsync(HttpContext context, RegistryIdentity? who, List<RegistryScope> requested, bool offline,
        RegistryCredentials credentials, RegistryTokens tokens, RegistryPermissions permissions)
    {
        var granted = new List<RegistryScope>();
        foreach (var scope in requested.Take(32))
        {
            if (scope.Type == RegistryScope.RegistryType && scope.Name == RegistryScope.CatalogName)
            {
                if (RegistryPermissions.CanListCatalog(who)) granted.Add(new RegistryScope(scope.Type, scope.Name, [RegistryScope.All]));
                continue;
            }
            if (scope.Type != RegistryScope.RepositoryType || !RepositoryName.IsValid(scope.Name)) continue;
            var allowed = await permissions.AllowedAsync(who, scope.Name, context.RequestAborted) & RepositoryActionsText.Parse(scope.Actions);
            if (allowed != RepositoryActions.None) granted.Add(new RegistryScope(scope.Type, scope.Name, RepositoryActionsText.Names(allowed).ToArray()));
        }

        var (token, expiresIn, issuedAt) = tokens.IssueAccess(who, granted);
        var body = new Dictionary<string, object>
        {
            ["token"] = token,
            ["access_token"] = token,
            ["expires_in"] = expiresIn,
            ["issued_at"] = issuedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["scope"] = string.Join(' ', granted.Select(s => s.ToString())),
        };
        if (offline && who is not null && await credentials.SecurityStampAsync(who.UserId) is { } stamp)
            body["refresh_token"] = tokens.IssueRefresh(who, stamp);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        await context.Response.WriteAsJsonAsync(body, context.RequestAborted);
    }

    private static async Task<bool> AnonymousMayAllAsync(List<RegistryScope> scopes, RegistryPermissions permissions, CancellationToken cancellationToken)
    {
        if (scopes.Count == 0) return false;
        foreach (var scope in scopes)
        {
            if (scope.Type != RegistryScope.RepositoryType || !RepositoryName.IsValid(scope.Name)) return false;
            var asked = RepositoryActionsText.Parse(scope.Actions);
            if (asked == RepositoryActions.None || (await permissions.AllowedAsync(null, scope.Name, cancellationToken) & asked) != asked) return false;
        }
        return true;
    }

    private static bool ServiceMatches(string? service, AccessSettings settings) =>
        string.IsNullOrEmpty(service) || string.Equals(service, settings.Service, StringComparison.Ordinal);

    private static Task UnknownServiceAsync(HttpContext context, AccessSettings settings) =>
        RegistryErrorWriter.WriteAsync(context, RegistryError.Unsupported.WithStatus(400), $"this token endpoint issues tokens for service '{settings.Service}' only", null);

    private static Task RefuseAsync(HttpContext context, string message) =>
        RegistryErrorWriter.WriteAsync(context, RegistryError.Unauthorized, message, null,
            new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"Wharf\", charset=\"UTF-8\"" });

    private static Task ThrottledAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return RegistryErrorWriter.WriteAsync(context, RegistryError.TooManyRequests,
            $"too many failed authentications for this account from your address; retry in {seconds} seconds", null,
            new Dictionary<string, string> { ["Retry-After"] = seconds });
    }

    private static string? Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
