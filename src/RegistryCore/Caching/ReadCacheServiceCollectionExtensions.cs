using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Blobs;
using Wharf.Registry.Events;
using Wharf.Registry.Manifests;
using Wharf.Registry.Proxy;

namespace Wharf.Registry.Caching;

public static class ReadCacheServiceCollectionExtensions
{
    /// <summary>
    /// Puts <see cref="RegistryReadCache"/> in front of the manifest and blob sources registered so far (the
    /// pull-through cache's decorators included), and has the event sink registered so far raise the changes that
    /// invalidate it. Call it last, after every source and sink is registered.
    /// </summary>
    public static IServiceCollection AddWharfReadCache(this IServiceCollection services)
    {
        services.AddSingleton<RegistryReadCache>();
        services.AddSingleton<TagListCache>();
        services.AddSingleton<IRegistryChangeListener>(sp => sp.GetRequiredService<RegistryReadCache>());
        // The sources are built only when the cache misses: on a hit, nothing behind it (the metadata service, its
        // pooled database context, the pull-through decorators) is constructed for the request.
        Decorate<IManifestSource>(services, (sp, inner) =>
            new CachedManifestSource(inner, sp.GetRequiredService<RegistryReadCache>(), sp.GetRequiredService<UpstreamCatalog>()));
        Decorate<IBlobSource>(services, (sp, inner) =>
            new CachedBlobSource(inner, sp.GetRequiredService<RegistryReadCache>(), sp.GetRequiredService<UpstreamCatalog>()));
        Decorate<IRegistryEventSink>(services, (sp, inner) => new ChangeRaisingEventSink(inner.Value, sp.GetServices<IRegistryChangeListener>()));
        return services;
    }

    /// <summary>
    /// Replaces the last registration of <typeparamref name="T"/> with <paramref name="decorator"/> around it, keeping
    /// its lifetime; the decorated service is created on first use of the <see cref="Lazy{T}"/>, from the same scope.
    /// </summary>
    private static void Decorate<T>(IServiceCollection services, Func<IServiceProvider, Lazy<T>, T> decorator) where T : class
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(T) && !d.IsKeyedService)
            ?? throw new InvalidOperationException($"register an {typeof(T).Name} before the read cache");
        services.Remove(descriptor);
        services.Add(ServiceDescriptor.Describe(typeof(T), sp => decorator(sp, new Lazy<T>(() => Create<T>(sp, descriptor))), descriptor.Lifetime));
    }

    private static T Create<T>(IServiceProvider services, ServiceDescriptor descriptor) where T : class =>
        descriptor.ImplementationInstance as T
        ?? (descriptor.ImplementationFactory is { } factory
            ? (T)factory(services)
            : (T)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
