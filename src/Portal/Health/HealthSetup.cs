using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Health;

/// <summary>
/// <c>/healthz</c> answers while the process runs; <c>/readyz</c> runs every health check tagged
/// <see cref="ReadyTag"/>: the database, the store (with <c>health.storagedriver</c>'s interval and threshold when
/// that section is enabled), and each <c>health.file</c>, <c>health.http</c> and <c>health.tcp</c> with distribution's
/// defaults (interval 10s; timeout 2s; status 200; without a threshold one failure makes the check unhealthy). Other parts of Wharf add their own readiness checks with
/// <c>services.AddHealthChecks().AddCheck&lt;T&gt;(name, tags: [HealthSetup.ReadyTag])</c>.
/// </summary>
public static class HealthSetup
{
    public const string ReadyTag = "ready";

    public static void AddWharfHealth(this WebApplicationBuilder builder)
    {
        var health = builder.Configuration.GetSection(RegistryConfiguration.Section).GetSection("health");
        var services = builder.Services;
        services.AddSingleton<HealthMetrics>();
        services.AddSingleton<StorageHealthCheck>();
        services.AddSingleton<DatabaseHealthCheck>();
        var checks = services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);

        var storage = health.GetSection("storagedriver");
        if (Bool(storage["enabled"], "health.storagedriver.enabled") == true)
        {
            var interval = Duration(storage["interval"], "health.storagedriver.interval") ?? TimeSpan.FromSeconds(10);
            var threshold = Count(storage["threshold"], "health.storagedriver.threshold") ?? 1;
            services.AddKeyedSingleton("storage", (sp, _) =>
                new PolledHealthCheck(sp.GetRequiredService<StorageHealthCheck>(), interval, threshold, sp.GetRequiredService<TimeProvider>()));
            checks.Add(new HealthCheckRegistration("storage", sp => sp.GetRequiredKeyedService<PolledHealthCheck>("storage"), null, [ReadyTag]));
        }
        else
        {
            checks.AddCheck<StorageHealthCheck>("storage", tags: [ReadyTag]);
        }

        foreach (var file in health.GetSection("file").GetChildren())
        {
            var path = file["file"] is { Length: > 0 } p ? p : throw new InvalidDataException($"health.file.{file.Key}.file: a path is required");
            var interval = Duration(file["interval"], $"health.file.{file.Key}.interval") ?? TimeSpan.FromSeconds(10);
            var key = "file:" + path;
            services.AddKeyedSingleton(key, (sp, _) => new PolledHealthCheck(new FileHealthCheck(path), interval, 1, sp.GetRequiredService<TimeProvider>()));
            checks.Add(new HealthCheckRegistration(key, sp => sp.GetRequiredKeyedService<PolledHealthCheck>(key), null, [ReadyTag]));
        }

        var http = health.GetSection("http").GetChildren().ToList();
        if (http.Count > 0) services.AddHttpClient(HttpHealthCheck.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        foreach (var check in http)
        {
            var name = $"health.http.{check.Key}";
            var uri = check["uri"] is { Length: > 0 } u && Uri.TryCreate(u, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed : throw new InvalidDataException($"{name}.uri: an absolute http(s) URL is required");
            var status = check["statuscode"] is { Length: > 0 } code
                ? int.TryParse(code, out var c) && c is >= 100 and <= 599 ? c : throw new InvalidDataException($"{name}.statuscode: '{code}' is not an HTTP status")
                : 200;
            var headers = check.GetSection("headers").GetChildren()
                .SelectMany(h => h.Value is { } single ? [single] : h.GetChildren().Select(v => v.Value ?? ""), (h, v) => KeyValuePair.Create(h.Key, v))
                .ToList();
            var timeout = Duration(check["timeout"], $"{name}.timeout") ?? TimeSpan.FromSeconds(2);
            AddPolled(services, checks, "http:" + uri, check, name,
                sp => new HttpHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), uri, headers, status, timeout));
        }

        foreach (var check in health.GetSection("tcp").GetChildren())
        {
            var name = $"health.tcp.{check.Key}";
            var addr = check["addr"] ?? "";
            var colon = addr.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(addr[(colon + 1)..], out var port) || port is < 1 or > 65535)
                throw new InvalidDataException($"{name}.addr: '{addr}' is not host:port");
            var host = addr[..colon].Trim('[', ']');
            var timeout = Duration(check["timeout"], $"{name}.timeout") ?? TimeSpan.FromSeconds(2);
            AddPolled(services, checks, "tcp:" + addr, check, name, _ => new TcpHealthCheck(host, port, timeout));
        }
    }

    /// <summary>A check run every <c>interval</c>, unhealthy after <c>threshold</c> failures in a row (1 when unset, as distribution's PeriodicChecker).</summary>
    private static void AddPolled(IServiceCollection services, IHealthChecksBuilder checks, string key, IConfigurationSection section, string name, Func<IServiceProvider, IHealthCheck> create)
    {
        var interval = Duration(section["interval"], $"{name}.interval") ?? TimeSpan.FromSeconds(10);
        var threshold = section["threshold"] is "0" ? 1 : Count(section["threshold"], $"{name}.threshold") ?? 1;
        services.AddKeyedSingleton(key, (sp, _) => new PolledHealthCheck(create(sp), interval, threshold, sp.GetRequiredService<TimeProvider>()));
        checks.Add(new HealthCheckRegistration(key, sp => sp.GetRequiredKeyedService<PolledHealthCheck>(key), null, [ReadyTag]));
    }

    public static void MapWharfHealth(this WebApplication app, int? debugPort)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        // distribution serves its checks on the debug server as /debug/health.
        if (debugPort is { } port)
            app.MapHealthChecks("/debug/health", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
                .RequireHost($"*:{port}");
    }

    /// <summary>The overall status and each check's with its description, as JSON (no exception details).</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private static bool? Bool(string? value, string key) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new InvalidDataException($"{key}: '{value}' is not true or false"),
    };

    private static TimeSpan? Duration(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return GoDuration.TryParse(value, out var d) && d > TimeSpan.Zero ? d : throw new InvalidDataException($"{key}: '{value}' is not a positive duration such as 10s");
    }

    private static int? Count(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n > 0 ? n : throw new InvalidDataException($"{key}: '{value}' is not a positive whole number");
    }
}
