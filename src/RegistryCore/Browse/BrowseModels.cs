namespace Wharf.Registry.Browse;

// What the portal shows. Sizes are bytes; times UTC.

public sealed record RegistryTotals(int Repositories, int Tags, int Manifests, int Blobs, long BytesStored);

public sealed record RepositorySummary(string Name, int TagCount, int ManifestCount, long Size, DateTime? LastPush);

public sealed record RepositoryPage(IReadOnlyList<RepositorySummary> Items, int Total);

public enum RepositorySort
{
    Name,
    Tags,
    Size,
    LastPush,
}

public sealed record TagSummary(string Tag, string Digest, string MediaType, long TotalSize, IReadOnlyList<string> Platforms, DateTime UpdatedAt);

public sealed record LayerInfo(string Digest, string MediaType, long Size);

public sealed record ChildManifestInfo(string Digest, string MediaType, long Size, string? Platform);

public sealed record ImageConfigInfo(
    string? Created, string? Os, string? Architecture,
    IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd, IReadOnlyList<string> Env,
    IReadOnlyDictionary<string, string> Labels, IReadOnlyList<HistoryEntry> History);

public sealed record HistoryEntry(string? Created, string? CreatedBy, bool EmptyLayer);

public sealed record ReferrerInfo(string Digest, string? ArtifactType, long Size);

public sealed record ManifestDetails(
    string Repository, string Digest, string MediaType, long Size, DateTime PushedAt,
    IReadOnlyList<string> Tags, LayerInfo? Config, IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<ChildManifestInfo> Children, ImageConfigInfo? ImageConfig, IReadOnlyList<ReferrerInfo> Referrers, string? SubjectDigest)
{
    public bool IsIndex => Children.Count > 0 || Content.MediaTypes.IsIndex(MediaType);
    public long TotalSize => Size + (Config?.Size ?? 0) + Layers.Sum(l => l.Size);
}

/// <summary>One place a blob is used: a manifest of a repository, and that manifest's tags.</summary>
public sealed record BlobUse(string Repository, string ManifestDigest, IReadOnlyList<string> Tags, string Kind);

/// <summary>How a repository's layers overlap with one other repository.</summary>
public sealed record SharedWith(string Repository, int Layers, long Bytes);

public sealed record RepositorySharing(string Repository, int Layers, long TotalBytes, long UniqueBytes, long SharedBytes, IReadOnlyList<SharedWith> SharedWith);
