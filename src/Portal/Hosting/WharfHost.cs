using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Wharf.Portal.Access;
using Wharf.Registry;
using Wharf.Registry.Api;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Hosting;

/// <summary>Builds the one process that serves the registry API and the portal.</summary>
public static partial class WharfHost
{
    public static WebApplication Build(string[] args, string? distributionConfigPath, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json ships beside the binary; relative data paths still resolve from the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (distributionConfigPath is not null)
            ((IConfigurationBuilder)builder.Configuration).Add(new DistributionYamlConfigurationSource(Path.GetFullPath(distributionConfigPath)));
        ((IConfigurationBuilder)builder.Configuration).Add(new DistributionEnvironmentConfigurationSource());
        builder.Configuration.AddCommandLine(args);
        customize?.Invoke(builder);

        var options = RegistryConfiguration.Bind(builder.Configuration);
        ConfigureLogging(builder, options);
        ConfigureKestrel(builder, options);

        builder.AddWharfPortal(options);
        builder.Services.AddWharfRegistry(options);
        builder.Services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage");

        var app = builder.Build();
        foreach (var key in RegistryConfiguration.UnknownKeys(builder.Configuration))
            LogUnknownKey(app.Logger, key);

        app.UseRegistryAccess();
        app.MapRegistryApi();
        app.MapHealthChecks("/healthz");
        app.MapWharfPortal();
        return app;
    }

    public static async Task InitializeAsync(WebApplication app, bool importDistributionData)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryDatabaseInitializer>().InitializeAsync(importDistributionData, CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<Accounts.PortalBootstrapper>().InitializeAsync(CancellationToken.None);
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, RegistryOptions options)
    {
        var level = options.LogLevel?.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => (LogLevel?)null,
        };
        // log.level overrides appsettings.json's default level (a rule there would win over SetMinimumLevel).
        if (level is { } l)
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = l.ToString() });
        // Request-level framework logs would repeat every blob request; the registry logs its own events.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, RegistryOptions options)
    {
        var (address, port) = ParseAddress(options.HttpAddress);
        var limits = ConnectionLimits.Bind(builder.Configuration);
        var access = AccessSettings.Bind(builder.Configuration);
        var perClient = new ClientConnectionLimiter(limits.ConnectionsPerClient,
            ip => access.KnownProxies.Contains(ip) || access.KnownNetworks.Any(n => n.Contains(ip)));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024; // raised per request for uploads and manifests
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            // A client that trickles a body slower than this is cut off (slowloris); a layer upload is far faster.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(10));
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            void Configure(ListenOptions listen)
            {
                perClient.Apply(listen);
                if (options.TlsCertificate is null || options.TlsKey is null) return;
                var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                });
            }
            if (address is null) kestrel.ListenAnyIP(port, Configure);
            else if (address == "localhost") kestrel.ListenLocalhost(port, Configure);
            else kestrel.Listen(IPAddress.Parse(address), port, Configure);
        });
    }

    /// <summary>distribution's http.addr: ":5000", "0.0.0.0:5000", "localhost:5000" or "[::1]:5000".</summary>
    public static (string? Address, int Port) ParseAddress(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new InvalidDataException($"http.addr '{value}' is not of the form [host]:port");
        var host = value[..colon].Trim('[', ']');
        return (host.Length == 0 || host is "0.0.0.0" or "::" ? null : host, port);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration key '{Key}' is not used by Wharf; ignored")]
    private static partial void LogUnknownKey(ILogger logger, string key);
}
