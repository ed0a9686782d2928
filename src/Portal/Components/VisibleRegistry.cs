using Microsoft.AspNetCore.Components.Authorization;
using Wharf.Portal.Access;
using Wharf.Registry.Browse;

namespace Wharf.Portal.Components;

/// <summary>
/// The pages' only way to read the registry: every call runs the engine's browse query in its own scope with the
/// signed-in user's <see cref="RepositoryVisibility"/>, read afresh each time (grants and roles change while a
/// circuit is open).
/// </summary>
public sealed class VisibleRegistry(EngineCalls engine, AuthenticationStateProvider authentication, PortalVisibility visibility)
{
    public async Task<T> ReadAsync<T>(Func<RegistryBrowser, RepositoryVisibility, CancellationToken, Task<T>> query, CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var visible = await visibility.ForAsync(user, cancellationToken);
        return await engine.RunAsync<RegistryBrowser, T>(browser => query(browser, visible, cancellationToken));
    }
}
