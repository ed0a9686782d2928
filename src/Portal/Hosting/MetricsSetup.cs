using System.Net.Http.Headers;
using OpenTelemetry.Metrics;
using Wharf.Portal.Access;
using Wharf.Registry.Events;

namespace Wharf.Portal.Hosting;

/// <summary>
/// Prometheus metrics through OpenTelemetry: Wharf's own meter (registry events, bytes in and out, store figures,
/// pull-through cache per upstream, garbage collection, probe latencies, notifications), ASP.NET Core's request
/// metrics (route, method, status, duration histograms) and the runtime's. Served as distribution does on
/// http.debug.addr when it is set (with http.debug.prometheus.enabled, at its path); otherwise at /metrics on the
/// main port, for an Admin's Basic credentials (a password or an access token) unless registry authentication is off.
/// </summary>
public static class MetricsSetup
{
    public const string MainPortPath = "/metrics";

    public static void AddWharfMetrics(this WebApplicationBuilder builder) =>
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(RegistryMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

    public static void MapWharfMetrics(this WebApplication app, HttpSettings http)
    {
        if (KestrelSetup.DebugPort(http) is { } port)
        {
            if (http.PrometheusEnabled) app.MapPrometheusScrapingEndpoint(http.PrometheusPath).RequireHost($"*:{port}");
            return;
        }
        app.UseWhen(c => c.Request.Path.Equals(MainPortPath, StringComparison.OrdinalIgnoreCase), branch => branch.Use(RequireAdminAsync));
        app.MapPrometheusScrapingEndpoint(MainPortPath);
    }

    private static async Task RequireAdminAsync(HttpContext context, RequestDelegate next)
    {
        if (context.RequestServices.GetRequiredService<AccessSettings>().IsOpen)
        {
            await next(context);
            return;
        }
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
            && BasicCredentials.TryDecode(header.Parameter, out var user, out var secret))
        {
            var check = await context.RequestServices.GetRequiredService<RegistryCredentials>()
                .VerifyAsync(user, secret, context.Connection.RemoteIpAddress?.ToString(), "metrics.refused", context.RequestAborted);
            if (check.Identity is { IsAdmin: true })
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = check.Succeeded ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        }
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized)
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Wharf metrics\", charset=\"UTF-8\"";
        await context.Response.WriteAsync(context.Response.StatusCode == 403 ? "metrics need the Admin role\n" : "metrics need an Admin's credentials (Basic)\n");
    }
}
