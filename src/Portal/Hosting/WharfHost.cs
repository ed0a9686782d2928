using Microsoft.Extensions.Options;
using Wharf.Portal.Access;
using Wharf.Portal.Health;
using Wharf.Registry;
using Wharf.Registry.Api;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Wharf.Registry.Notifications;

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

        // Every config.yml key has a stated fate (DistributionKeys): refused ones stop the start here.
        var review = ConfigurationFates.Review(builder.Configuration);
        var options = RegistryConfiguration.Bind(builder.Configuration);
        options.DetectReadOnlyStore(); // a read-only data directory: serve read-only rather than refuse to start
        var http = HttpSettings.Bind(builder.Configuration);
        builder.Services.AddSingleton(http);
        WharfLogging.Configure(builder, options);
        builder.ConfigureKestrel(options, http);

        builder.AddWharfPortal(options);
        builder.Services.AddWharfRegistry(options);
        builder.Services.AddWharfNotifications(builder.Configuration);
        builder.AddWharfHealth();
        builder.AddWharfMetrics();

        var app = builder.Build();
        // Target URLs in notifications are built like Locations: on http.host when it is set.
        app.Services.GetRequiredService<NotificationQueue>().BaseUrl = context => DistributionHttp.Url(context, http, "");
        foreach (var key in review.Ignored) LogIgnoredKey(app.Logger, key.Pattern, key.Note);
        foreach (var key in review.Unknown) LogUnknownKey(app.Logger, key);

        app.UseDistributionHttp(http, app.Services.GetRequiredService<AccessSettings>());
        app.UseAccessLog();
        app.UseRegistryAccess();
        app.MapRegistryApi();
        app.MapWharfHealth(KestrelSetup.DebugPort(http));
        app.MapWharfMetrics(http);
        app.MapWharfPortal();
        return app;
    }

    public static async Task InitializeAsync(WebApplication app, bool importDistributionData)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryDatabaseInitializer>().InitializeAsync(importDistributionData, CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<Accounts.PortalBootstrapper>().InitializeAsync(CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<SharedKeys>().InitializeAsync(
            app.Services.GetRequiredService<IOptions<RegistryOptions>>().Value.ResolvedDataDirectory, CancellationToken.None);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration key '{Key}' is not one of distribution's configuration keys (a typo?); ignored")]
    private static partial void LogUnknownKey(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration key {Key} is accepted and ignored: {Reason}")]
    private static partial void LogIgnoredKey(ILogger logger, string key, string reason);
}
