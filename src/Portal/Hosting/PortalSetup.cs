using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Components;
using Wharf.Portal.Data;
using Wharf.Registry.Configuration;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Notifications;

namespace Wharf.Portal.Hosting;

/// <summary>The admin portal: Identity sign-in, the audit trail, and the Blazor Server UI, in the registry's process.</summary>
public static class PortalSetup
{
    public static void AddWharfPortal(this WebApplicationBuilder builder, RegistryOptions registry)
    {
        var services = builder.Services;
        void UsePortalDatabase(DbContextOptionsBuilder o) => o.UsePortalDatabase(registry);
        services.AddDbContext<PortalDbContext>(UsePortalDatabase);
        services.AddDbContextFactory<PortalDbContext>(UsePortalDatabase, ServiceLifetime.Scoped);
        // Before the registry engine is added: the engine keeps the authorizer registered here.
        builder.AddRegistryAccess(registry);

        // Keys for cookies and secrets at rest (upstream passwords): in the portal database, so that every instance
        // reads the same key ring and a restart keeps everyone signed in. SharedKeys creates the first key at start.
        services.AddDataProtection()
            .SetApplicationName("Wharf")
            .PersistKeysToDbContext<PortalDbContext>();
        if (registry.StoreReadOnly)
        {
            // Nothing can be written on a read-only store: the database's keys are read, a new one stays in memory.
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(new ConfigureOptions<KeyManagementOptions>(
                o => o.XmlRepository = new ReadOnlyKeyRing(o.XmlRepository ?? throw new InvalidOperationException("Data Protection has no key repository"))));
        }
        services.AddScoped<SharedKeys>();

        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/account/login";
            // A signed-in user without the role sees the page's own "your role does not allow this page", never a sign-in loop.
            cookie.AccessDeniedPath = "/denied";
            cookie.Cookie.Name = "wharf.session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "wharf.antiforgery";
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // A disabled user or a changed role takes effect within a minute (Wharf:Portal:RevalidationInterval), in the
        // sign-in cookie and in open circuits alike, not at the cookie's expiry.
        services.AddOptions<PortalSessionOptions>().BindConfiguration("Wharf:Portal")
            .Validate(o => o.RevalidationInterval > TimeSpan.Zero && o.RevalidationInterval <= TimeSpan.FromMinutes(1),
                "Wharf:Portal:RevalidationInterval must be more than zero and at most 00:01:00")
            .ValidateOnStart();
        services.AddOptions<SecurityStampValidatorOptions>()
            .Configure<IOptions<PortalSessionOptions>>((o, session) => o.ValidationInterval = session.Value.RevalidationInterval);
        services.AddIdentityCore<PortalUser>(o =>
            {
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireDigit = false;
                // Failed passwords never lock an account (anyone could lock anyone out): SignInThrottle slows
                // guessing per account and address instead. Identity's lockout stays for an explicit lock only.
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.Lockout.AllowedForNewUsers = true;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddAuthorization(PortalPolicies.Configure);
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();

        services.AddSingleton<AuditLog>();
        services.AddHostedService<AuditWriter>();
        services.AddSingleton(AuditSettings.Bind(builder.Configuration));
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        services.AddSingleton<LoggingEventSink>();
        services.AddSingleton<AuditEventSink>();
        // The audit trail, then distribution's notifications (a durable queue; see Wharf.Registry.Notifications).
        services.AddSingleton<IRegistryEventSink>(sp => new FanOutEventSink([sp.GetRequiredService<AuditEventSink>(), sp.GetRequiredService<NotificationQueue>()]));
        services.AddScoped<AuditQueries>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<PortalBootstrapper>();
        services.AddSingleton<SetupCode>();
        services.AddScoped<FirstAdminSetup>();
        services.AddScoped<EngineCalls>();
        services.AddScoped<AdminGate>();
        services.AddSingleton<PortalVisibility>();
        services.AddScoped<VisibleRegistry>();
        services.AddScoped<ManifestDeletion>();
        services.AddScoped<GarbageCollectionConsole>();
        services.AddScoped<NotificationOverview>();
        services.AddSingleton<Upstreams.PortalUpstreamSource>();
        services.AddSingleton<Wharf.Registry.Proxy.IUpstreamSource>(sp => sp.GetRequiredService<Upstreams.PortalUpstreamSource>());
        services.AddScoped<Upstreams.UpstreamAdministration>();
        services.AddOptions<Upstreams.UpstreamPollOptions>().BindConfiguration("Wharf:Portal")
            .Validate(o => o.UpstreamPollInterval > TimeSpan.Zero, "Wharf:Portal:UpstreamPollInterval must be more than zero")
            .ValidateOnStart();
        services.AddSingleton<Upstreams.UpstreamChangePoller>();
        services.AddHostedService(sp => sp.GetRequiredService<Upstreams.UpstreamChangePoller>());

        // Serve the component library's and our own static files from the build output too, not only when published.
        builder.WebHost.UseStaticWebAssets();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddScoped<AuthenticationStateProvider, RevalidatingPortalAuthenticationStateProvider>();
        services.AddMudServices(mud =>
        {
            // Bottom right, below the page's content: a notification never covers the buttons of a table's first rows.
            mud.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            mud.SnackbarConfiguration.VisibleStateDuration = 6000;
            mud.SnackbarConfiguration.PreventDuplicates = false;
        });
    }

    /// <summary>The portal's database: portal.db beside the registry's, or the same PostgreSQL database.</summary>
    public static DbContextOptionsBuilder UsePortalDatabase(this DbContextOptionsBuilder o, RegistryOptions registry) =>
        o.UseWharfDatabase(registry.Database, Path.Combine(registry.ResolvedDataDirectory, "portal.db"), PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);

    public static void MapWharfPortal(this WebApplication app)
    {
        app.UseSecurityHeaders();

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        // A browser asking for an address no endpoint answers gets the portal (whose router shows its 404 page) with
        // status 404. Only then: API clients and /v2 keep their own answers.
        app.Use(async (context, next) =>
        {
            await next();
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted && context.GetEndpoint() is null
                && HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/v2")
                && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
                await new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<App> { StatusCode = StatusCodes.Status404NotFound }.ExecuteAsync(context);
        });
        app.MapAccountEndpoints();
        app.MapAuditEndpoints();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

    }
}
