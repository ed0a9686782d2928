using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Auth;

public enum RegistryAction
{
    Pull,
    Push,
    Delete,
    /// <summary>Listing every repository (<c>registry:catalog:*</c>).</summary>
    Catalog,
    /// <summary>The base endpoint <c>GET /v2/</c>: only authentication is checked.</summary>
    Base,
}

/// <summary>One thing a request wants to do: an action on a repository (null for registry-wide actions).</summary>
public sealed record RegistryAccess(string? Repository, RegistryAction Action);

/// <summary>
/// The single authorization point in front of every /v2 endpoint. It answers with the caller, or throws a
/// <see cref="RegistryException"/> with UNAUTHORIZED (plus a challenge) or DENIED.
/// </summary>
public interface IRegistryAuthorizer
{
    ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access);

    /// <summary>Whether the caller may do this, without failing the request (used for optional steps such as a mount).</summary>
    ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access);
}
