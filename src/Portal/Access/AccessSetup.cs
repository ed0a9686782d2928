using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wharf.Registry;
using Wharf.Registry.Api;
using Wharf.Registry.Auth;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Access;

/// <summary>Wires registry access control into the host: the authorizer of the chosen mode, the token endpoint, rate limits and trusted proxies.</summary>
public static partial class AccessSetup
{
    /// <summary>Registers the services; must run before the registry engine is added, which keeps this authorizer.</summary>
    /// <exception cref="InvalidDataException">The access configuration is invalid (auth.htpasswd, a bad mode, …).</exception>
    public static AccessSettings AddRegistryAccess(this WebApplicationBuilder builder, RegistryOptions registry)
    {
        var settings = AccessSettings.Bind(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);
        // The deployment's one signing key, from the portal database (loaded by SharedKeys at start).
        services.AddSingleton<RegistrySigningKey>();
        services.AddSingleton(sp => new RegistryTokens(settings, sp.GetRequiredService<RegistrySigningKey>().Key, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RegistryPermissions>();
        services.AddSingleton<VerifiedCredentials>();
        services.AddSingleton<RegistryChallenge>();
        services.AddScoped<RegistryCredentials>();
        services.AddScoped<Accounts.SignInThrottle>();
        services.AddSingleton<SignInRateLimitAudit>();
        services.AddScoped<Accounts.PasswordVerifier>();
        services.AddScoped<Accounts.UserRecovery>();
        services.AddScoped<AccessTokens>();
        services.AddScoped<RepositoryGrants>();
        if (settings.IsOpen) services.AddSingleton<IRegistryAuthorizer, OpenRegistryAuthorizer>();
        else if (settings.Mode == RegistryAuthMode.Htpasswd)
        {
            services.AddSingleton(sp => new HtpasswdFile(settings.HtpasswdPath!, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HtpasswdFile>>()));
            services.AddSingleton<IRegistryAuthorizer, HtpasswdRegistryAuthorizer>();
        }
        else if (settings.ExternalToken is { } external)
        {
            services.AddSingleton(sp => new ExternalTokenVerifier(external, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IRegistryAuthorizer, ExternalTokenAuthorizer>();
        }
        else services.AddSingleton<IRegistryAuthorizer, PortalRegistryAuthorizer>();

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Limit(context, settings));
            options.OnRejected = RejectAsync;
        });
        if (settings.KnownProxies.Count > 0 || settings.KnownNetworks.Count > 0)
        {
            services.Configure<ForwardedHeadersOptions>(options =>
            {
                options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
                // Only the configured proxies: not even loopback is trusted by default.
                options.KnownProxies.Clear();
                options.KnownIPNetworks.Clear();
                foreach (var proxy in settings.KnownProxies) options.KnownProxies.Add(proxy);
                foreach (var network in settings.KnownNetworks) options.KnownIPNetworks.Add(network);
            });
        }
        return settings;
    }

    /// <summary>First in the pipeline: forwarded headers from trusted proxies (so addresses, scheme and host are the client's), then rate limits.</summary>
    public static void UseRegistryAccess(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<AccessSettings>();
        if (settings.KnownProxies.Count > 0 || settings.KnownNetworks.Count > 0) app.UseForwardedHeaders();
        // Only sign-ins are limited: every other request (each /v2 pull) skips the limiter and its partition lookup.
        app.UseWhen(IsSignIn, limited => limited.UseRateLimiter());
        if (settings.IsOpen) LogOpen(app.Logger);
        else LogMode(app.Logger, settings.Mode.ToString().ToLowerInvariant());
        if (settings.Mode == RegistryAuthMode.Token) app.MapTokenEndpoint();
    }

    /// <summary>
    /// The portal's sign-in form. The token endpoint and /v2 are not limited here: only failed authentications are
    /// (SignInThrottle), so a CI job that authenticates for every image is never refused.
    /// </summary>
    private static bool IsSignIn(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/account/login");

    private static RateLimitPartition<string> Limit(HttpContext context, AccessSettings settings)
    {
        if (!IsSignIn(context)) return RateLimitPartition.GetNoLimiter("");
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return RateLimitPartition.GetFixedWindowLimiter("sign-in " + client, _ => PerMinute(settings.SignInsPerMinute));
    }

    private static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true };

    /// <summary>429 with Retry-After: the registry's TOOMANYREQUESTS error for API clients, a line of text for the sign-in form.</summary>
    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
        var retry = seconds.ToString(CultureInfo.InvariantCulture);
        if (context.Request.Path.StartsWithSegments("/account"))
        {
            var services = context.RequestServices;
            services.GetRequiredService<SignInRateLimitAudit>().Refused(context.Connection.RemoteIpAddress?.ToString(),
                services.GetRequiredService<AccessSettings>().SignInsPerMinute);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = retry;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"Too many sign-in attempts from your address; try again in {seconds} seconds.", cancellationToken);
            return;
        }
        await RegistryErrorWriter.WriteAsync(context, RegistryError.TooManyRequests, $"too many requests; retry in {seconds} seconds", null,
            new Dictionary<string, string> { ["Retry-After"] = retry });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry authentication is OFF (Wharf:Auth:Mode=none): anyone who can reach this port can push, pull and delete. Use it for local development only.")]
    private static partial void LogOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry authentication: {Mode}")]
    private static partial void LogMode(ILogger logger, string mode);
}
