using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Wharf.Registry.Configuration;

/// <summary>
/// Reads distribution's <c>storage</c> section (config.yml, or <c>REGISTRY_STORAGE_*</c>) into <see cref="StorageSettings"/>.
/// Exactly one back end: two, or one Wharf does not have, refuse to start with a message that says so — never a
/// silent fallback to the local disk.
/// </summary>
public static class StorageConfiguration
{
    /// <summary>Subsections of <c>storage</c> that configure the registry, not a back end.</summary>
    private static readonly HashSet<string> NotBackends = new(StringComparer.OrdinalIgnoreCase) { "delete", "maintenance", "cache", "redirect", "tag" };

    private static readonly HashSet<string> Supported = new(StringComparer.OrdinalIgnoreCase) { "filesystem", "s3", "azure" };

    /// <exception cref="InvalidDataException">No single back end Wharf can use is configured, or its settings are wrong.</exception>
    public static StorageSettings Bind(IConfigurationSection registry, StorageSettings? into = null)
    {
        var settings = into ?? new StorageSettings();
        var storage = registry.GetSection("storage");
        var backends = storage.GetChildren().Select(c => c.Key).Where(k => !NotBackends.Contains(k)).Select(k => k.ToLowerInvariant()).Distinct().ToList();
        // distribution's REGISTRY_STORAGE=s3 names the back end; then the others' settings do not apply.
        if (storage.Value is { Length: > 0 } named)
            backends = [named.Trim().ToLowerInvariant()];

        if (backends.Count > 1)
            throw new InvalidDataException($"storage: more than one storage back end is configured ({string.Join(", ", backends)}); configure exactly one " +
                "(check config.yml and the REGISTRY_STORAGE_* environment variables)");
        var backend = backends.SingleOrDefault() ?? "filesystem";
        if (!Supported.Contains(backend))
            throw new InvalidDataException($"storage.{backend}: Wharf has no '{backend}' storage driver; it stores blobs on the filesystem, in S3 " +
                "(or an S3-compatible store) or in Azure Blob storage. Configure one of storage.filesystem, storage.s3 or storage.azure");

        settings.RedirectDisabled = Bool(storage["redirect:disable"], "storage.redirect.disable") ?? settings.RedirectDisabled;
        switch (backend)
        {
            case "s3":
                settings.Backend = StorageBackend.S3;
                BindS3(storage.GetSection("s3"), settings);
                break;
            case "azure":
                settings.Backend = StorageBackend.Azure;
                BindAzure(storage.GetSection("azure"), settings);
                break;
            default:
                settings.Backend = StorageBackend.FileSystem;
                break;
        }
        return settings;
    }

    private static void BindS3(IConfigurationSection s3, StorageSettings settings)
    {
        var o = settings.S3;
        o.AccessKey = NonEmpty(s3["accesskey"]) ?? o.AccessKey;
        o.SecretKey = NonEmpty(s3["secretkey"]) ?? o.SecretKey;
        o.Region = NonEmpty(s3["region"]) ?? o.Region;
        o.RegionEndpoint = NonEmpty(s3["regionendpoint"]) ?? o.RegionEndpoint;
        o.ForcePathStyle = Bool(s3["forcepathstyle"], "storage.s3.forcepathstyle") ?? o.ForcePathStyle;
        o.Bucket = NonEmpty(s3["bucket"]) ?? o.Bucket;
        o.RootDirectory = NonEmpty(s3["rootdirectory"]) ?? o.RootDirectory;
        o.Secure = Bool(s3["secure"], "storage.s3.secure") ?? o.Secure;
        o.ChunkSize = Long(s3["chunksize"], "storage.s3.chunksize") ?? o.ChunkSize;
        o.Encrypt = Bool(s3["encrypt"], "storage.s3.encrypt") ?? o.Encrypt;
        o.KeyId = NonEmpty(s3["keyid"]) ?? o.KeyId;
        o.StorageClass = NonEmpty(s3["storageclass"])?.ToUpperInvariant() ?? o.StorageClass;
        if (NonEmpty(s3["objectacl"]) is { } acl && acl != "private")
            throw new InvalidDataException($"storage.s3.objectacl '{acl}': Wharf writes objects private only (the bucket's own policy decides the rest); remove the setting");
        Refuse(o.Problems());
    }

    private static void BindAzure(IConfigurationSection azure, StorageSettings settings)
    {
        var o = settings.Azure;
        o.AccountName = NonEmpty(azure["accountname"]) ?? o.AccountName;
        o.AccountKey = NonEmpty(azure["accountkey"]) ?? o.AccountKey;
        o.Container = NonEmpty(azure["container"]) ?? o.Container;
        o.RootDirectory = NonEmpty(azure["rootdirectory"]) ?? o.RootDirectory;
        o.Realm = NonEmpty(azure["realm"]) ?? o.Realm;
        o.ServiceUrl = NonEmpty(azure["serviceurl"]) ?? o.ServiceUrl;
        Refuse(o.Problems());
    }

    private static void Refuse(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count > 0) throw new InvalidDataException(string.Join("; ", list));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? Bool(string? value, string key) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new InvalidDataException($"{key}: '{value}' is not true or false"),
    };

    private static long? Long(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidDataException($"{key}: '{value}' is not a whole number of bytes");
    }
}
