namespace Wharf.Registry.Browse;

// What the portal shows. Sizes are bytes (compressed, as stored); times UTC.

public sealed record RegistryTotals(int Repositories, int Tags, int Manifests, int Blobs, long BytesStored);

/// <summary>One page of a list that is paged in the database, and how many items the whole list has.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

public sealed record RepositorySummary(string Name, int TagCount, int ManifestCount, long Size, DateTime? LastPush);

public enum RepositorySort
{
    Name,
    Tags,
    Size,
    LastPush,
}

public enum TagSort
{
    /// <summary>Newest first by default: what people look for after a push.</summary>
    Pushed,
    Name,
}

/// <summary>A tag; <see cref="TotalSize"/> is the image's config and layers, for an index the sum over its platforms.</summary>
public sealed record TagSummary(string Tag, string Digest, string MediaType, long TotalSize, IReadOnlyList<string> Platforms, DateTime UpdatedAt);

public sealed record LayerInfo(string Digest, string MediaType, long Size);

/// <summary>A platform manifest of an index; <see cref="ImageSize"/> is its config and layers (0 when it is not stored here).</summary>
public sealed record ChildManifestInfo(string Digest, string MediaType, long Size, string? Platform, long ImageSize);

public sealed record ImageConfigInfo(
    string? Created, string? Os, string? Architecture, string? User, string? WorkingDir, IReadOnlyList<string> ExposedPorts,
    IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd, IReadOnlyList<string> Env,
    IReadOnlyDictionary<string, string> Labels, IReadOnlyList<HistoryEntry> History);

public sealed record HistoryEntry(string? Created, string? CreatedBy, bool EmptyLayer);

/// <summary>One step of an image's build: a history entry and the layer it made (either may be missing).</summary>
public sealed record BuildStep(HistoryEntry? History, LayerInfo? Layer);

public sealed record ReferrerInfo(string Digest, string? ArtifactType, long Size);

public sealed record ManifestDetails(
    string Repository, string Digest, string MediaType, long Size, DateTime PushedAt,
    IReadOnlyList<string> Tags, LayerInfo? Config, IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<ChildManifestInfo> Children, ImageConfigInfo? ImageConfig, IReadOnlyList<ReferrerInfo> Referrers, string? SubjectDigest,
    string? ManifestJson, string? ConfigJson)
{
    public bool IsIndex => Children.Count > 0 || Content.MediaTypes.IsIndex(MediaType);

    /// <summary>Compressed size: config and layers; for an index the sum of its platforms' configs and layers.</summary>
    public long TotalSize => IsIndex ? Children.Sum(c => c.ImageSize) : (Config?.Size ?? 0) + Layers.Sum(l => l.Size);

    /// <summary>The history entries paired with the layers they made, in build order.</summary>
    public IReadOnlyList<BuildStep> Steps => BuildSteps.Pair(ImageConfig?.History ?? [], Layers);
}

/// <summary>A blob as the registry knows it: its size, the media type manifests give it, and how many (visible) manifests use it.</summary>
public sealed record BlobDetails(string Digest, long? Size, string? MediaType, int Manifests, int Repositories);

/// <summary>One place a blob is used: a manifest of a repository, and that manifest's tags.</summary>
public sealed record BlobUse(string Repository, string ManifestDigest, IReadOnlyList<string> Tags, string Kind);

/// <summary>How a repository's layers overlap with one other repository.</summary>
public sealed record SharedWith(string Repository, int Layers, long Bytes);

/// <summary>
/// A repository's layers split into the bytes only it uses and those other (visible) repositories share; how many
/// repositories share with it, and the ones it shares most bytes with (the whole list is paged separately).
/// </summary>
public sealed record RepositorySharing(string Repository, int Layers, long TotalBytes, long UniqueBytes, long SharedBytes,
    int SharedWithCount, IReadOnlyList<SharedWith> Largest);

public enum SharingSort
{
    /// <summary>Most shared bytes first by default: the repositories that matter for what a delete frees.</summary>
    Bytes,
    Layers,
    Repository,
}
