namespace Wharf.Registry.Metadata;

// The registry's metadata. Digests are stored as their text form ("sha256:…"); times are UTC.

public sealed class RepositoryRecord
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A blob known to the store (layers, configs and manifests' own bytes).</summary>
public sealed class BlobRecord
{
    public required string Digest { get; set; }
    public long Size { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A blob linked into a repository (uploaded, mounted or imported there); reads are allowed only through a link.</summary>
public sealed class RepositoryBlobRecord
{
    public long RepositoryId { get; set; }
    public required string Digest { get; set; }
    public DateTime LinkedAt { get; set; }
}

public sealed class ManifestRecord
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public required string Digest { get; set; }
    public required string MediaType { get; set; }
    public long Size { get; set; }
    /// <summary>The manifest's artifactType, or its config's media type for images (what referrers report).</summary>
    public string? ArtifactType { get; set; }
    public string? ConfigDigest { get; set; }
    public string? SubjectDigest { get; set; }
    /// <summary>Annotations as JSON, for the referrers API.</summary>
    public string? AnnotationsJson { get; set; }
    public DateTime PushedAt { get; set; }
    public DateTime? LastPulledAt { get; set; }
    public List<ManifestReferenceRecord> References { get; set; } = [];
}

public enum ReferenceKind
{
    Config = 0,
    Layer = 1,
    /// <summary>A child manifest of an index.</summary>
    Manifest = 2,
}

/// <summary>One descriptor inside a manifest: what garbage collection and the layer-sharing view follow.</summary>
public sealed class ManifestReferenceRecord
{
    public long ManifestId { get; set; }
    public int Ordinal { get; set; }
    public ReferenceKind Kind { get; set; }
    public required string Digest { get; set; }
    public required string MediaType { get; set; }
    public long Size { get; set; }
    public string? Platform { get; set; }
}

public sealed class TagRecord
{
    public long RepositoryId { get; set; }
    public required string Name { get; set; }
    public required string ManifestDigest { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class UploadSessionRecord
{
    public Guid Id { get; set; }
    public long RepositoryId { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
