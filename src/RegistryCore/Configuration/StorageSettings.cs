using Wharf.Registry.Storage.Azure;
using Wharf.Registry.Storage.S3;

namespace Wharf.Registry.Configuration;

public enum StorageBackend
{
    FileSystem,
    S3,
    Azure,
}

/// <summary>distribution's <c>storage</c> section: exactly one back end and its settings, and <c>storage.redirect</c>.</summary>
public sealed class StorageSettings
{
    public StorageBackend Backend { get; set; } = StorageBackend.FileSystem;

    public S3StorageOptions S3 { get; set; } = new();

    public AzureStorageOptions Azure { get; set; } = new();

    /// <summary>storage.redirect.disable: serve blob GETs through Wharf even where the store signs URLs.</summary>
    public bool RedirectDisabled { get; set; }

    /// <summary>How long a redirect's signed URL stays valid (distribution uses 20 minutes).</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(20);
}
