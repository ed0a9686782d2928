namespace Wharf.Registry.Configuration;

/// <summary>
/// The registry's settings. Bound from distribution's config.yml keys (section "registry" in configuration, so
/// <c>storage:delete:enabled</c> and <c>REGISTRY_STORAGE_DELETE_ENABLED</c> land on the same value) by
/// <see cref="RegistryOptionsBinder"/>.
/// </summary>
public sealed class RegistryOptions
{
    /// <summary>distribution's http.addr, e.g. ":5000" or "127.0.0.1:5000".</summary>
    public string HttpAddress { get; set; } = ":5000";
    public string? TlsCertificate { get; set; }
    public string? TlsKey { get; set; }

    /// <summary>storage.filesystem.rootdirectory: where blobs live, in distribution's layout.</summary>
    public string RootDirectory { get; set; } = "data";

    /// <summary>Where Wharf keeps its own state (metadata database, keys). Defaults to "&lt;root&gt;/wharf".</summary>
    public string? DataDirectory { get; set; }

    public bool DeleteEnabled { get; set; }
    /// <summary>storage.maintenance.readonly.enabled: pulls only, by the operator's choice.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// The data directory (or the filesystem store) was on read-only media at start: Wharf serves read-only, as with
    /// <see cref="ReadOnly"/>, until it is started again on writable storage. Found by <see cref="DetectReadOnlyStore"/>.
    /// </summary>
    public bool StoreReadOnly { get; set; }

    /// <summary>Pushes and deletes are refused up front: by configuration or because the store takes no writes.</summary>
    public bool IsReadOnly => ReadOnly || StoreReadOnly;

    /// <summary>Sets <see cref="StoreReadOnly"/> (and the database's read-only mode) from the file systems themselves.</summary>
    public void DetectReadOnlyStore()
    {
        StoreReadOnly = Wharf.Registry.Storage.ReadOnlyMedia.IsReadOnly(ResolvedDataDirectory)
            || (Storage.Backend == StorageBackend.FileSystem && Wharf.Registry.Storage.ReadOnlyMedia.IsReadOnly(RootDirectory));
        Database.SqliteReadOnly = StoreReadOnly && !Database.IsPostgreSql;
    }

    public bool UploadPurgingEnabled { get; set; } = true;
    public TimeSpan UploadPurgingAge { get; set; } = TimeSpan.FromHours(168);
    public TimeSpan UploadPurgingInterval { get; set; } = TimeSpan.FromHours(24);
    public bool UploadPurgingDryRun { get; set; }

    /// <summary>Largest manifest accepted, in bytes (the spec asks for at least 4 MiB).</summary>
    public int MaxManifestBytes { get; set; } = 4 * 1024 * 1024;

    public string? LogLevel { get; set; }

    /// <summary>validation.manifests.urls: a foreign layer's URLs must match one of these (when any is set) and none of the deny list.</summary>
    public List<System.Text.RegularExpressions.Regex> ManifestUrlsAllow { get; set; } = [];
    public List<System.Text.RegularExpressions.Regex> ManifestUrlsDeny { get; set; } = [];

    public ProxySettings Proxy { get; set; } = new();

    /// <summary>SQLite in the data directory, or PostgreSQL (config.yml's database section, Wharf:Database).</summary>
    public DatabaseSettings Database { get; set; } = new();

    /// <summary>The storage back end (storage.filesystem, storage.s3 or storage.azure) and storage.redirect.</summary>
    public StorageSettings Storage { get; set; } = new();

    /// <summary>Named upstreams of the pull-through cache (<c>Wharf:Upstreams</c>), beside the proxy section's one.</summary>
    public List<UpstreamSettings> Upstreams { get; set; } = [];

    public string ResolvedDataDirectory => DataDirectory ?? Path.Combine(RootDirectory, "wharf");
}

/// <summary>distribution's proxy section: a pull-through cache of one upstream for the whole namespace.</summary>
public sealed class ProxySettings
{
    public string? RemoteUrl { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public TimeSpan? Ttl { get; set; }
    /// <summary>Wharf:Proxy:AllowAnonymous: serve anonymous callers although the upstream has credentials.</summary>
    public bool AllowAnonymous { get; set; }
    /// <summary>
    /// Wharf:Proxy:FetchWait: how long a pull waits for another instance that is fetching the same blob from its
    /// upstream before fetching it itself (every upstream, not only this section's).
    /// </summary>
    public TimeSpan FetchWait { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>One entry of <c>Wharf:Upstreams</c>, as written; validated when the pull-through cache starts.</summary>
public sealed class UpstreamSettings
{
    /// <summary>Where it was configured ("Wharf:Upstreams:0"), for error messages.</summary>
    public string Source { get; set; } = "";
    public string? Name { get; set; }
    /// <summary>Repository prefix served through the upstream ("hub" serves hub/library/nginx).</summary>
    public string? Prefix { get; set; }
    public string? Url { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public TimeSpan? Ttl { get; set; }
    public bool AllowAnonymous { get; set; }

    /// <summary>Leaves the password out, so that logging the settings never shows it.</summary>
    public override string ToString() => $"{Name} ({Prefix}/ -> {Url})";
}
