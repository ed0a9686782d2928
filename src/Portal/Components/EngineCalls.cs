namespace Wharf.Portal.Components;

/// <summary>
/// Runs one engine call in its own DI scope. A Blazor circuit lives for minutes, while the engine's services hold a
/// database context that must live for one operation only.
/// </summary>
public sealed class EngineCalls(IServiceScopeFactory scopes)
{
    public async Task<TResult> RunAsync<TService, TResult>(Func<TService, Task<TResult>> call) where TService : notnull
    {
        await using var scope = scopes.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
