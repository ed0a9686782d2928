using Wharf.Registry;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>The 401 answers of the registry API, with the <c>WWW-Authenticate</c> challenge that tells clients where to log in.</summary>
public sealed class RegistryChallenge(AccessSettings settings, Hosting.HttpSettings http)
{
    /// <summary>
    /// The configured realm, or the token endpoint under /v2/ (so a front that proxies only /v2/ still reaches it) on
    /// http.host, or on the URL the client used (after trusted proxies' forwarded headers).
    /// </summary>
    public string Realm(HttpContext context) => settings.Realm
        ?? Hosting.DistributionHttp.Url(context, http, settings.ExternalToken is { AutoRedirect: true } ? AutoRedirectPath : TokenEndpoint.V2Path);

    /// <summary>Where <c>auth.token.autoredirect</c> sends clients, on the host they used (distribution's default path).</summary>
    public const string AutoRedirectPath = "/auth/token";

    public RegistryException Unauthorized(HttpContext context, IEnumerable<RegistryAccess> access, string? error = null, string? message = null)
    {
        var exception = new RegistryException(RegistryError.Unauthorized, message ?? "authentication required");
        exception.Headers["WWW-Authenticate"] = Header(context, access, error);
        return exception;
    }

    public string Header(HttpContext context, IEnumerable<RegistryAccess> access, string? error = null)
    {
        if (settings.Mode == RegistryAuthMode.Basic) return "Basic realm=\"Wharf\", charset=\"UTF-8\"";
        var header = $"Bearer realm=\"{Quote(Realm(context))}\",service=\"{Quote(settings.Service)}\"";
        var scopes = access.Select(RegistryScope.For).OfType<RegistryScope>().Select(s => s.ToString()).ToList();
        if (scopes.Count > 0) header += $",scope=\"{Quote(string.Join(' ', scopes))}\"";
        if (error is not null) header += $",error=\"{error}\"";
        return header;
    }

    private static string Quote(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
