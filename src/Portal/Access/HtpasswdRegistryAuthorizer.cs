using System.Net.Http.Headers;
using Wharf.Registry;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>
/// <c>auth.htpasswd</c> with distribution's semantics: every /v2 request needs Basic credentials of a user in the
/// file, and every such user may do everything (pull, push, delete, list the catalog). Portal users are not
/// registry users in this mode. Successful checks are cached (<see cref="VerifiedCredentials"/>) because bcrypt is
/// slow by design; a change to the file drops the cache.
/// </summary>
public sealed class HtpasswdRegistryAuthorizer(HtpasswdFile file, AccessSettings settings, VerifiedCredentials verified) : IRegistryAuthorizer
{
    private static readonly object CallerKey = new();
    private (DateTime, long) _cachedVersion;

    public ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        var user = Authenticate(context)
            ?? throw Challenge(context.Request.Headers.Authorization.Count == 0 ? "authentication required" : "wrong user name or password");
        return ValueTask.FromResult(new RegistryCaller(user, context.Connection.RemoteIpAddress?.ToString()));
    }

    public ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access) => ValueTask.FromResult(Authenticate(context) is not null);

    private string? Authenticate(HttpContext context)
    {
        if (context.Items.TryGetValue(CallerKey, out var known)) return known as string;
        string? result = null;
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
            && BasicCredentials.TryDecode(header.Parameter, out var user, out var secret))
        {
            var version = file.Version;
            if (version != _cachedVersion)
            {
                verified.Clear();
                _cachedVersion = version;
            }
            if (verified.Get(user, secret) is not null || file.Verify(user, secret))
            {
                verified.Add(user, secret, new VerifiedCredential(new RegistryIdentity("htpasswd:" + user, user, []), null));
                result = user;
            }
        }
        context.Items[CallerKey] = result;
        return result;
    }

    private RegistryException Challenge(string message)
    {
        var exception = new RegistryException(RegistryError.Unauthorized, message);
        exception.Headers["WWW-Authenticate"] = $"Basic realm=\"{settings.HtpasswdRealm.Replace("\"", "")}\"";
        return exception;
    }
}
