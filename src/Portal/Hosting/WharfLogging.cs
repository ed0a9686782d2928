using Microsoft.Extensions.Logging.Console;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Hosting;
using Serilog.Formatting.Compact;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Hosting;

/// <summary>
/// distribution's log section: <c>level</c>, <c>formatter</c> (text or json), <c>fields</c> on every line, and the
/// access log (one line per request, <c>accesslog.disabled</c> turns it off). Lines written while a request runs
/// carry its RequestId. Serilog writes the console: the built-in console formatters cannot add fixed fields to every
/// line. The framework's level filters stay in charge, so appsettings.json's Logging section still works.
/// </summary>
public static class WharfLogging
{
    /// <summary>Set by commands whose standard output is a report (garbage-collect): every log line goes to standard error.</summary>
    public const string StandardErrorKey = "Wharf:Logging:StandardErrorOnly";

    private sealed record Settings(Serilog.ILogger Logger, bool AccessLog);

    public static void Configure(IHostApplicationBuilder builder, RegistryOptions options)
    {
        var log = builder.Configuration.GetSection(RegistryConfiguration.Section).GetSection("log");
        var formatter = log["formatter"]?.Trim().ToLowerInvariant();
        var json = formatter switch
        {
            null or "" or "text" => false,
            "json" => true,
            "logstash" => throw new InvalidDataException("log.formatter: logstash is not available; use json (one JSON object per line) or text"),
            _ => throw new InvalidDataException($"log.formatter '{formatter}' is not one of text, json"),
        };
        var accessLog = !(log["accesslog:disabled"]?.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on");

        var level = options.LogLevel?.ToLowerInvariant() switch
        {
            null or "" => (LogLevel?)null,
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            var other => throw new InvalidDataException($"log.level '{other}' is not one of error, warn, info, debug"),
        };
        // log.level overrides appsettings.json's default level (a rule there would win over SetMinimumLevel).
        if (level is { } l)
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = l.ToString() });
        // Request-level framework logs would repeat every blob request; the access log has one line per request.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);

        var toStandardError = string.Equals(builder.Configuration[StandardErrorKey], "true", StringComparison.OrdinalIgnoreCase);
        var configuration = new LoggerConfiguration().MinimumLevel.Verbose().Enrich.FromLogContext();
        foreach (var field in log.GetSection("fields").GetChildren())
            configuration = configuration.Enrich.WithProperty(field.Key, field.Value ?? "");
        var standardError = toStandardError ? LogEventLevel.Verbose : (LogEventLevel?)null;
        // The console is written from one background thread: the console sink serializes every write under one lock,
        // and with the access log on, requests queued on it (a tenth of a manifest GET's time under load, and its tail).
        // A full buffer blocks the writer rather than drop lines; the logger's disposal at shutdown flushes what is queued.
        configuration = configuration.WriteTo.Async(sink =>
        {
            if (json) sink.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: standardError);
            else
                sink.Console(
                    outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffK} {Level:u4} {SourceContext}: {Message:lj} {Properties}{NewLine}{Exception}",
                    standardErrorFromLevel: standardError, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }, bufferSize: 10_000, blockWhenFull: true);
        var logger = configuration.CreateLogger();

        // Replace only the console provider: other providers (a test's capture, EventSource) keep receiving.
        foreach (var console in builder.Services.Where(d => d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
            builder.Services.Remove(console);
        // A provider of our own rather than AddSerilog: AddSerilog adds a Trace rule for its provider that would override
        // the level filters. Made by the container (not handed to it), so that the host's disposal disposes it: the
        // logger then writes what is still queued for the console, and its background writer ends with the host.
        builder.Services.AddSingleton<ILoggerProvider>(_ => new Serilog.Extensions.Logging.SerilogLoggerProvider(logger, dispose: true));
        builder.Services.AddSingleton(new Settings(logger, accessLog));
        builder.Services.AddSingleton(new DiagnosticContext(logger));
        builder.Services.AddSingleton<IDiagnosticContext>(sp => sp.GetRequiredService<DiagnosticContext>());
    }

    /// <summary>The access log: one line per request with method, path, status, bytes, duration, client and request id.</summary>
    public static void UseAccessLog(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<Settings>();
        if (!settings.AccessLog) return;
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = settings.Logger;
            o.MessageTemplate = "{RemoteAddress:l} \"{RequestMethod:l} {RequestPath:l} {Protocol:l}\" {StatusCode} {ResponseBytes:l} \"{UserAgent:l}\" {Elapsed:0.000} ms";
            // Query strings are left out: token requests and uploads carry state there.
            o.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("RequestId", context.TraceIdentifier);
                diagnostics.Set("RemoteAddress", context.Connection.RemoteIpAddress?.ToString() ?? "-");
                diagnostics.Set("Protocol", context.Request.Protocol);
                diagnostics.Set("ResponseBytes", context.Response.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
                diagnostics.Set("UserAgent", context.Request.Headers.UserAgent.ToString());
            };
            o.GetLevel = (_, _, exception) => exception is null ? LogEventLevel.Information : LogEventLevel.Error;
        });
    }
}
