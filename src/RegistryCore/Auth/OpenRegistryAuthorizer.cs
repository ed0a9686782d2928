using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Auth;

/// <summary>Lets every request through, as an anonymous caller: for a registry whose operator turned authentication off.</summary>
public sealed class OpenRegistryAuthorizer : IRegistryAuthorizer
{
    public ValueTask<RegistryCaller> AuthorizeAsync(HttpContext context, IReadOnlyList<RegistryAccess> access) =>
        ValueTask.FromResult(new RegistryCaller(null, context.Connection.RemoteIpAddress?.ToString()));

    public ValueTask<bool> IsAllowedAsync(HttpContext context, RegistryAccess access) => ValueTask.FromResult(true);
}
