using Microsoft.Extensions.Logging;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wharf.Registry.Auth;
using Wharf.Registry.Blobs;
using Wharf.Registry.Catalog;
using Wharf.Registry.Configuration;
using Wharf.Registry.Events;
using Wharf.Registry.Caching;
using Wharf.Registry.Gc;
using Wharf.Registry.Import;
using Wharf.Registry.Maintenance;
using Wharf.Registry.Manifests;
using Wharf.Registry.Metadata;
using Wharf.Registry.Proxy;
using Wharf.Registry.Storage;
using Wharf.Registry.Uploads;

namespace Wharf.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>Registers the registry engine: storage, metadata, services and background maintenance.</summary>
    public static IServiceCollection AddWharfRegistry(this IServiceCollection services, RegistryOptions options)
    {
        Directory.CreateDirectory(options.ResolvedDataDirectory);
        services.AddSingleton<IOptions<RegistryOptions>>(Options.Create(options));

        // Pooled: a request leases a context instead of building one (options, services, change tracker) each time.
        services.AddPooledDbContextFactory<RegistryDbContext>(o => o.UseRegistryDatabase(options.Database, options.ResolvedDataDirectory));

        services.AddWharfStorage(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StorageReserve(options.ResolvedDataDirectory, StorageReserve.DefaultSize, sp.GetRequiredService<ILogger<StorageReserve>>()));
        services.AddMetrics();
        services.AddSingleton<RegistryMetrics>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<StoreGauges>();
        services.TryAddSingleton<IRegistryEventSink, LoggingEventSink>();
        services.TryAddSingleton<IRegistryAuthorizer, OpenRegistryAuthorizer>();

        services.AddScoped<BlobLedger>();
        services.AddSingleton<Cluster.ClusterLeases>();
        services.AddSingleton<Cluster.ScheduleClaims>();
        services.AddSingleton<Cluster.ThisInstance>();
        services.AddOptions<Cluster.ClusterOptions>().BindConfiguration(Cluster.ClusterOptions.Section)
            .Validate(o => o.HeartbeatInterval > TimeSpan.Zero, "Wharf:Cluster:HeartbeatInterval must be more than zero").ValidateOnStart();
        services.AddSingleton<Cluster.ClusterInstances>();
        services.AddHostedService<Cluster.InstanceHeartbeat>();
        services.AddScoped<UploadService>();
        services.AddScoped<UploadSessionStatisticsQuery>();
        services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.Section)
            .Validate(UploadOptions.IsValid, UploadOptions.Requirements).ValidateOnStart();
        services.AddScoped<BlobService>();
        services.AddScoped<BlobVerification>();
        services.AddScoped<ManifestService>();
        services.AddScoped<CatalogService>();
        services.AddScoped<ReferrersService>();
        services.AddScoped<DistributionImporter>();
        services.AddScoped<DistributionExporter>();
        services.AddScoped<Browse.RegistryBrowser>();
        services.AddScoped<RegistryDatabaseInitializer>();

        services.AddSingleton<UploadPurger>();
        services.AddHostedService(sp => sp.GetRequiredService<UploadPurger>());
        services.AddWharfProxy(options);

        services.AddOptions<GarbageCollectionOptions>().BindConfiguration(GarbageCollectionOptions.Section)
            .Validate(GarbageCollectionOptions.IsValid, GarbageCollectionOptions.Requirements).ValidateOnStart();
        services.AddScoped<GcReports>();
        services.AddSingleton<GarbageCollector>();
        services.AddHostedService<GcSchedule>();
        services.AddWharfReadCache(); // last: it wraps the sources and the event sink registered above
        return services;
    }
}
