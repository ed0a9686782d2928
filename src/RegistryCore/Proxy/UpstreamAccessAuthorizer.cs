using Microsoft.AspNetCore.Http;
using Wharf.Registry.Auth;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Wraps the registry's authorizer with the cache's one rule: an upstream that Wharf reaches with credentials is not
/// shared with anonymous callers unless its definition says <c>AllowAnonymous</c>, since the credentials may open
/// private upstream repositories. Applies to every action on such a repository, including mounting from it.
/// </summary>
public sealed class UpstreamAccessAuthorizer(IRegistryAuthorizer inner, UpstreamCatalog upstreams) : IRegistryAuthorizer
{
    public async ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access)
    {
        var caller = await inner.AuthorizeAsync(context, access);
        if (caller.User is not null) return caller;
        foreach (var item in access)
        {
            if (item.Repository is not null && upstreams.Match(item.Repository) is { Definition.RequiresCaller: true } match)
            {
                var prefix = match.Definition.Prefix.Length == 0 ? "this registry" : $"{match.Definition.Prefix}/";
                throw new RegistryException(RegistryError.Denied,
                    $"{prefix} is pulled through upstream '{match.Upstream.Name}' with Wharf's credentials; anonymous pulls through it are not allowed (set AllowAnonymous on the upstream to allow them)");
            }
        }
        return caller;
    }

    public async ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access)
    {
        if (!await inner.IsAllowedAsync(context, access)) return false;
        if (access.Repository is null || upstreams.Match(access.Repository) is not { Definition.RequiresCaller: true }) return true;
        // IsAllowedAsync does not say who the caller is; authorizing the one access tells.
        try
        {
            await AuthorizeAsync(context, [access]);
            return true;
        }
        catch (RegistryException)
        {
            return false;
        }
    }
}
