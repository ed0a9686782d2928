using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wharf.Registry.Configuration;
using Wharf.Registry.Storage.Azure;
using Wharf.Registry.Storage.FileSystem;
using Wharf.Registry.Storage.S3;

namespace Wharf.Registry.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the one configured storage back end as <see cref="IBlobStorage"/>, and the blob store on it.</summary>
    public static IServiceCollection AddWharfStorage(this IServiceCollection services, RegistryOptions options)
    {
        var settings = options.Storage;
        services.TryAddSingleton<IBlobStorage>(_ => settings.Backend switch
        {
            StorageBackend.S3 => new S3BlobStorage(settings.S3),
            StorageBackend.Azure => new AzureBlobStorage(settings.Azure),
            _ => new FileSystemBlobStorage(options.RootDirectory),
        });
        services.AddSingleton<BlobStore>();
        return services;
    }
}
