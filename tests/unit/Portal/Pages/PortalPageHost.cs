using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Components;
using Wharf.Portal.Data;
using Wharf.Registry.Configuration;
using Wharf.Registry.Gc;
using Wharf.Registry.Notifications;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Pages;

/// <summary>
/// The portal's pages in bUnit over a real Wharf: SQLite in a temporary directory, the registry engine with images
/// pushed through its API, the portal's own services (users, grants, tokens, audit, GC, notifications) as they run in
/// production. Only the edge is bUnit's: the signed-in principal (taken from the real user database), JavaScript
/// interop and navigation.
/// </summary>
public sealed class PortalPageHost : IAsyncLifetime
{
    public const string Password = "page-tests-password-1";

    public AccessHost Wharf { get; }

    public PortalPageHost() : this([])
    {
    }

    public PortalPageHost(params string[] settings) => Wharf = new AccessHost("token", settings);

    public async Task InitializeAsync() => await Wharf.InitializeAsync();

    public async Task DisposeAsync() => await Wharf.DisposeAsync();

    /// <summary>
    /// A bUnit context whose services are Wharf's (the host's scope as the fallback), signed in as this user with
    /// the claims a real sign-in gives them. The page-level classes that read the signed-in user are built over
    /// bUnit's authentication state, everything under them is Wharf's own.
    /// </summary>
    public async Task<PageContext> SignedInAsAsync(string? userName)
    {
        var context = new BunitContext();
        var scope = Wharf.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        var authorization = context.AddAuthorization();
        if (userName is not null)
        {
            var principal = await PrincipalAsync(userName);
            authorization.SetAuthorized(userName);
            var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
            authorization.SetRoles(roles);
            authorization.SetClaims(principal.FindAll(ClaimTypes.NameIdentifier).ToArray());
            // The Admin policy is the role (PortalPolicies); AuthorizeView and [Authorize] read it from here.
            if (roles.Contains(Roles.Admin)) authorization.SetPolicies(PortalPolicies.Admin);
        }
        else authorization.SetNotAuthorized();

        var scopes = Wharf.Services.GetRequiredService<IServiceScopeFactory>();
        context.Services.AddScoped(_ => new EngineCalls(scopes));
        context.Services.AddScoped(sp => new VisibleRegistry(sp.GetRequiredService<EngineCalls>(), sp.GetRequiredService<AuthenticationStateProvider>(),
            services.GetRequiredService<PortalVisibility>()));
        context.Services.AddScoped(sp => new ManifestDeletion(sp.GetRequiredService<EngineCalls>(), sp.GetRequiredService<VisibleRegistry>(),
            sp.GetRequiredService<AuthenticationStateProvider>(), services.GetRequiredService<IOptions<RegistryOptions>>(),
            services.GetRequiredService<AdminGate>(), services.GetRequiredService<AuditLog>(), new HttpContextAccessor()));
        context.Services.AddScoped(sp => new GarbageCollectionConsole(services.GetRequiredService<GarbageCollector>(), sp.GetRequiredService<EngineCalls>(),
            sp.GetRequiredService<AuthenticationStateProvider>(), services.GetRequiredService<AdminGate>(), new HttpContextAccessor()));
        context.Services.AddScoped(sp => new NotificationOverview(services.GetRequiredService<NotificationStatus>(),
            sp.GetRequiredService<AuthenticationStateProvider>(), services.GetRequiredService<AdminGate>()));
        context.Services.AddFallbackServiceProvider(services);
        return new PageContext(context, scope);
    }

    public async Task<ClaimsPrincipal> PrincipalAsync(string userName)
    {
        await using var scope = Wharf.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByNameAsync(userName) ?? throw new InvalidOperationException($"no user {userName}");
        return await scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>().CreateUserPrincipalAsync(user);
    }

    /// <summary>Pushes an image through the registry API as the Admin.</summary>
    public async Task<string> PushAsync(string repository, string tag, TestImage image)
    {
        var token = await Wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, $"repository:{repository}:pull,push");
        using var client = Wharf.ClientWith(AccessHost.Bearer(token));
        return await client.PushImageAsync(repository, tag, image);
    }
}

/// <summary>One test's bUnit context and the Wharf scope behind it, disposed together.</summary>
public sealed class PageContext(BunitContext context, AsyncServiceScope scope) : IAsyncDisposable
{
    public BunitContext Bunit => context;

    public IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : Microsoft.AspNetCore.Components.IComponent =>
        parameters is null ? context.Render<T>() : context.Render<T>(parameters);

    /// <summary>Renders a page at an address relative to the base (its query parameters are the page's <c>SupplyParameterFromQuery</c>).</summary>
    public IRenderedComponent<T> RenderAt<T>(string address) where T : Microsoft.AspNetCore.Components.IComponent
    {
        context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo(address);
        return context.Render<T>();
    }

    public async ValueTask DisposeAsync()
    {
        // MudBlazor's services are only asynchronously disposable.
        await context.DisposeAsync();
        await scope.DisposeAsync();
    }
}
