using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wharf.Registry.Auth;
using Wharf.Registry.Blobs;
using Wharf.Registry.Configuration;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Proxy;

public static class ProxyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the pull-through cache: the upstream catalog (configuration plus any <see cref="IUpstreamSource"/>
    /// the host adds), the caching decorators the API reads blobs and manifests through, the expiry service, and the
    /// anonymous-access rule around whatever <see cref="IRegistryAuthorizer"/> is registered at this point. With no
    /// upstream configured every repository is private and the decorators only pass calls through.
    /// </summary>
    /// <exception cref="InvalidDataException">An upstream in the configuration is invalid (the message says which and why).</exception>
    public static IServiceCollection AddWharfProxy(this IServiceCollection services, RegistryOptions options)
    {
        ConfiguredUpstreamSource.Read(options); // fail at start, not at the first pull

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new UpstreamHttp());
        services.AddSingleton<IUpstreamSource, ConfiguredUpstreamSource>();
        services.TryAddSingleton<UpstreamStatistics>();
        services.TryAddSingleton<UpstreamStatisticsStore>();
        services.AddHostedService(sp => sp.GetRequiredService<UpstreamStatisticsStore>());
        services.TryAddSingleton<UpstreamCatalog>();
        services.TryAddSingleton<CacheMetadata>();
        services.TryAddSingleton<UpstreamBlobFetcher>();
        services.TryAddSingleton<UpstreamManifestFetcher>();
        services.AddScoped<IBlobSource, CachingBlobSource>();
        services.AddScoped<IManifestSource, CachingManifestSource>();
        services.AddSingleton<CacheExpiry>();
        services.AddHostedService(sp => sp.GetRequiredService<CacheExpiry>());

        var authorizer = services.LastOrDefault(d => d.ServiceType == typeof(IRegistryAuthorizer) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("register an IRegistryAuthorizer before the pull-through cache");
        services.Remove(authorizer);
        services.Add(ServiceDescriptor.Describe(typeof(IRegistryAuthorizer),
            sp => new UpstreamAccessAuthorizer(Create(sp, authorizer), sp.GetRequiredService<UpstreamCatalog>()), authorizer.Lifetime));
        return services;
    }

    private static IRegistryAuthorizer Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IRegistryAuthorizer
        ?? (descriptor.ImplementationFactory is { } factory
            ? (IRegistryAuthorizer)factory(services)
            : (IRegistryAuthorizer)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
