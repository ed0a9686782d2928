using System.Net;
using Wharf.Portal.Access;

namespace Wharf.Portal.Hosting;

/// <summary>
/// The request-level parts of distribution's http section: http.prefix (Wharf answers under it only), http.headers
/// on every response, Location headers built on http.host (or absolute from the request with relativeurls: false),
/// and one warning when forwarded headers arrive from an address that is not a configured proxy.
/// </summary>
public static partial class DistributionHttp
{
    /// <summary>First in the pipeline, so that the prefix is stripped before anything routes.</summary>
    public static void UseDistributionHttp(this WebApplication app, HttpSettings http, AccessSettings access)
    {
        if (http.Prefix.Length > 0)
        {
            app.UsePathBase(http.Prefix);
            // Routing must see the path without the prefix: placed here, it runs after UsePathBase (not first, as by default).
            app.UseRouting();
            app.Use(async (context, next) =>
            {
                // UsePathBase passes requests outside the prefix through unchanged; distribution does not serve them.
                if (!context.Request.PathBase.HasValue && !IsDebugListener(context, http))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    await context.Response.WriteAsync($"not found: this registry is served under {http.Prefix}/");
                    return;
                }
                await next();
            });
        }

        if (KestrelSetup.DebugPort(http) is { } debugPort)
        {
            // The debug server serves /debug/health and the metrics only, as distribution's does.
            app.Use(async (context, next) =>
            {
                if (context.Connection.LocalPort == debugPort && !context.Request.Path.StartsWithSegments("/debug/health")
                    && !(http.PrometheusEnabled && context.Request.Path.Equals(http.PrometheusPath, StringComparison.OrdinalIgnoreCase)))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await next();
            });
        }

        var warned = 0;
        app.Use(async (context, next) =>
        {
            if (HasForwardedHeaders(context.Request) && context.Connection.RemoteIpAddress is { } remote
                && !IsKnownProxy(remote, access) && Interlocked.Exchange(ref warned, 1) == 0)
                LogUntrustedForwarding(app.Logger, remote.ToString());

            // Captured now: when the response starts, UsePathBase may already have put the prefix back into the path.
            var pathBase = context.Request.PathBase;
            var isApi = context.Request.Path.StartsWithSegments("/v2");
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                foreach (var (name, values) in http.Headers) headers[name] = values;
                // The engine writes Locations as paths from the root; the portal's own redirects already carry the prefix.
                if (isApi && headers.Location.ToString() is { Length: > 0 } location && location.StartsWith('/') && !location.StartsWith("//"))
                    headers.Location = http.Host is not null || !http.RelativeUrls ? Origin(context, http) + pathBase + location : pathBase + location;
                return Task.CompletedTask;
            });
            await next();
        });
    }

    /// <summary>The outside URL of a path of this registry (during the request): http.host when set, never the request's Host.</summary>
    public static string Url(HttpContext context, HttpSettings http, string path) => Origin(context, http) + context.Request.PathBase + path;

    private static string Origin(HttpContext context, HttpSettings http) =>
        http.Host is { } host ? host.GetLeftPart(UriPartial.Authority) : $"{context.Request.Scheme}://{context.Request.Host}";

    private static bool IsDebugListener(HttpContext context, HttpSettings http) =>
        KestrelSetup.DebugPort(http) is { } port && context.Connection.LocalPort == port;

    private static bool HasForwardedHeaders(HttpRequest request) =>
        request.Headers.ContainsKey("X-Forwarded-For") || request.Headers.ContainsKey("X-Forwarded-Proto") || request.Headers.ContainsKey("X-Forwarded-Host");

    private static bool IsKnownProxy(IPAddress remote, AccessSettings access)
    {
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        return access.KnownProxies.Any(p => p.Equals(remote)) || access.KnownNetworks.Any(n => n.Contains(remote));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "X-Forwarded-* headers from {Address} are ignored because it is not a configured proxy, so client addresses, scheme and host are taken from the connection. If {Address} is your reverse proxy, set Wharf__ForwardedHeaders__KnownProxies={Address} (or Wharf__ForwardedHeaders__KnownNetworks). This is logged once.")]
    private static partial void LogUntrustedForwarding(ILogger logger, string address);
}
