using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Registry;
using Wharf.Registry.Configuration;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Hosting;

/// <summary>
/// The engine without the web host, for <c>wharf garbage-collect</c>, <c>import</c> and <c>export</c>: the same
/// configuration (config.yml, REGISTRY_*, Wharf__*, --key=value), the same refusals of keys Wharf cannot honour, the
/// registry's services and the audit trail, but no Kestrel, portal UI, sign-in or background service, so a command
/// starts in a fraction of a second and prints nothing about the portal. Nothing is started: the command resolves
/// the services it needs and the process ends with it.
/// </summary>
public sealed partial class RegistryCommandHost : IAsyncDisposable
{
    private readonly IHost _host;
    private Task<PortalDbContext>? _audit;

    private RegistryCommandHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    /// <param name="customize">Lets a test add settings before anything is bound.</param>
    /// <exception cref="InvalidDataException">The configuration is refused (the message says which key and why).</exception>
    public static RegistryCommandHost Build(string[] args, string? distributionConfigPath, Action<HostApplicationBuilder>? customize = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        builder.Configuration.AddEnvironmentVariables();
        if (distributionConfigPath is not null)
            ((IConfigurationBuilder)builder.Configuration).Add(new DistributionYamlConfigurationSource(Path.GetFullPath(distributionConfigPath)));
        ((IConfigurationBuilder)builder.Configuration).Add(new DistributionEnvironmentConfigurationSource());
        builder.Configuration.AddCommandLine(args);
        // A report on standard output, every log line on standard error.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [WharfLogging.StandardErrorKey] = "true" });
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        customize?.Invoke(builder);

        var review = ConfigurationFates.Review(builder.Configuration); // refused keys stop here, as they stop a server
        var options = RegistryConfiguration.Bind(builder.Configuration);
        WharfLogging.Configure(builder, options);
        // The report says what happened; info lines would repeat it. log.level debug (diagnosing) and error still apply.
        if (options.LogLevel?.ToLowerInvariant() is not ("debug" or "error"))
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });

        var services = builder.Services;
        services.AddDbContextFactory<PortalDbContext>(o => o.UsePortalDatabase(options));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<LoggingEventSink>();
        services.AddSingleton<IRegistryEventSink, AuditEventSink>();
        services.AddWharfRegistry(options);
        var host = builder.Build();
        // A likely typo is worth a line on standard error; keys accepted and ignored are the server's to mention.
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RegistryCommandHost>();
        foreach (var key in review.Unknown) LogUnknownKey(logger, key);
        return new RegistryCommandHost(host);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration key '{Key}' is not one of distribution's configuration keys (a typo?); ignored")]
    private static partial void LogUnknownKey(ILogger logger, string key);

    /// <summary>Brings the registry's database up to date (no import: the commands decide that themselves).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryDatabaseInitializer>().InitializeAsync(importDistributionData: false, cancellationToken);
    }

    /// <summary>
    /// Starts opening the portal's database for the audit trail, migrating it first when this store has never been
    /// served, beside the command's own work: <see cref="WriteAuditAsync"/> then costs only the insert, after the
    /// command has printed its report.
    /// </summary>
    public void PrepareAudit(CancellationToken cancellationToken) => _audit ??= Task.Run(async () =>
    {
        var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        try
        {
            await db.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }, cancellationToken);

    /// <summary>
    /// Writes what the command put in the audit trail (the server's writer is a background service, and none runs
    /// here), in the portal's database <see cref="PrepareAudit"/> opened (opening it now if the command did not).
    /// </summary>
    public async Task WriteAuditAsync(CancellationToken cancellationToken)
    {
        var log = Services.GetRequiredService<AuditLog>();
        var entries = new List<AuditEntry>();
        while (log.Reader.TryRead(out var entry)) entries.Add(entry);
        if (entries.Count == 0 && _audit is null) return;
        PrepareAudit(cancellationToken);
        var db = await _audit!;
        if (entries.Count == 0) return;
        db.AuditEntries.AddRange(entries);
        await db.SaveChangesAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_audit is not null)
        {
            try
            {
                await (await _audit).DisposeAsync();
            }
            catch (Exception) when (_audit.IsFaulted || _audit.IsCanceled)
            {
                // Reported by WriteAuditAsync, or the command failed before it.
            }
        }
        if (_host is IAsyncDisposable disposable) await disposable.DisposeAsync();
        else _host.Dispose();
    }
}
