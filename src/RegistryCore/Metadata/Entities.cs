namespace Wharf.Registry.Metadata;

// The registry's metadata. Digests are stored as their text form ("sha256:…"); times are UTC.

public sealed class RepositoryRecord
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>
    /// Grows by one in every transaction that adds, moves or deletes one of the repository's tags
    /// (<see cref="TagGenerations"/>): what the tag-list cache keys on, so every instance sees a change at once.
    /// </summary>
    public long TagGeneration { get; set; }
}

/// <summary>A blob known to the store (layers, configs and manifests' own bytes).</summary>
public sealed class BlobRecord
{
    public required string Digest { get; set; }
    public long Size { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>
    /// Set by garbage collection's sweep when it has decided to delete the blob (committed before the object goes,
    /// cleared by deleting the row after): writers treat it as absent and wait (see <see cref="BlobLedger"/>).
    /// </summary>
    public DateTime? DeletingSince { get; set; }
    /// <summary>
    /// Imported with <c>wharf import --defer-verification</c>: the bytes have not been hashed against the digest yet.
    /// The first read hashes them before anything is served (<see cref="Blobs.BlobVerification"/>) and clears this.
    /// Null for every blob that was verified when it was stored.
    /// </summary>
    public DateTime? UnverifiedSince { get; set; }
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
    /// <summary>
    /// An image's platform from its config (<c>os/architecture[/variant]</c>), what the portal's tag list shows: empty
    /// when the config names none (an artifact, or a config that is not an image's); null when it has not been read
    /// yet (the config was not in storage when the manifest was recorded, as for a pull-through cache's manifest, or
    /// the manifest was recorded before Wharf kept it), and then <see cref="ManifestPlatforms.FillAsync"/> reads it
    /// once. Indexes keep it null: their platforms are their children's, in <see cref="References"/>.
    /// </summary>
    public string? Platform { get; set; }
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

/// <summary>
/// An open blob upload. Everything an instance needs to continue it is in this row (no process keeps any of it), so
/// a session's requests may land on any instance, before or after a restart. See Uploads/UploadSessionClaim.cs for
/// how concurrent requests of one session are serialized.
/// </summary>
public sealed class UploadSessionRecord
{
    public Guid Id { get; set; }
    /// <summary>The repository the blob goes to. By name: the repository is only created when something is committed.</summary>
    public required string RepositoryName { get; set; }
    /// <summary>Who opened it (the user, else the client address): what the per-caller session cap counts.</summary>
    public required string Owner { get; set; }
    public DateTime StartedAt { get; set; }
    /// <summary>The last time a request changed the session (acknowledged a chunk, or failed one).</summary>
    public DateTime UpdatedAt { get; set; }
    /// <summary>Bytes acknowledged: only these are ever reported in <c>Range</c> and only these are published.</summary>
    public long Size { get; set; }
    /// <summary>The storage upload's resumable state (<see cref="Storage.IStorageUpload.State"/>) for exactly <see cref="Size"/> bytes.</summary>
    public required string StorageState { get; set; }
    /// <summary>The request now writing to the session, and until when its claim holds unless renewed; null when idle.</summary>
    public Guid? ClaimToken { get; set; }
    public DateTime? ClaimExpiresAt { get; set; }
    /// <summary>The last chunk failed (its client got an error): the session is purged after the shorter abandoned age.</summary>
    public bool LastChunkFailed { get; set; }
    /// <summary>
    /// The SHA-256 of exactly <see cref="Size"/> bytes so far, as a state to continue (<see cref="Uploads.ResumableSha256"/>),
    /// so finishing needs no second read of the staged bytes; null when it could not be kept (then they are read back).
    /// </summary>
    public string? ContentHashState { get; set; }
}

/// <summary>
/// The one row that starting an upload session locks (an UPDATE of it), so that counting open sessions against the
/// caps and inserting the new one are atomic on PostgreSQL as on SQLite (whose write lock already serializes them).
/// </summary>
public sealed class UploadSessionGateRecord
{
    public int Id { get; set; }
    public long Starts { get; set; }
}

public enum GcMode
{
    /// <summary>A dry run: marks and stores the reviewable report, deletes nothing.</summary>
    Preview = 0,
    /// <summary>Deletes what is eligible (a preview's items, re-checked, or a fresh mark's).</summary>
    Collect = 1,
}

public enum GcRunState
{
    Running = 0,
    Completed = 1,
    Cancelled = 2,
    Failed = 3,
    /// <summary>The process ended while the run was going; the next run finishes its work.</summary>
    Interrupted = 4,
}

/// <summary>One garbage collection run: who asked, what it found, what it freed.</summary>
public sealed class GcRunRecord
{
    public long Id { get; set; }
    public GcMode Mode { get; set; }
    public bool DeleteUntagged { get; set; }
    public GcRunState State { get; set; }
    public string? RequestedBy { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>For a collect of a reviewed preview: that preview's run.</summary>
    public long? PreviewRunId { get; set; }
    public int EligibleManifests { get; set; }
    public int EligibleBlobs { get; set; }
    public long ReclaimableBytes { get; set; }
    public int DeletedManifests { get; set; }
    public int DeletedBlobs { get; set; }
    public long FreedBytes { get; set; }
    /// <summary>Items a collect left alone because they were in use again when re-checked.</summary>
    public int KeptOnRecheck { get; set; }
    public int PurgedUploads { get; set; }
    public string? Error { get; set; }
    // The columns below came with several instances; declared in name order, the order a migration adds them in.
    /// <summary>When any instance asked the run to stop; the running collector reads it with every progress write.</summary>
    public DateTime? CancelRequestedAt { get; set; }
    /// <summary>The instance running it (<see cref="ClusterInstanceRecord.Id"/>), for the other instances' view.</summary>
    public string? Instance { get; set; }
    /// <summary>While it runs: the phase, when it was written, and items done of total (0: not known).</summary>
    public Gc.GcPhase? Phase { get; set; }
    public DateTime? ProgressAt { get; set; }
    public long? ProgressDone { get; set; }
    public long? ProgressTotal { get; set; }
}

public enum GcItemKind
{
    Manifest = 0,
    Blob = 1,
}

/// <summary>Why an item is eligible.</summary>
public enum GcItemReason
{
    /// <summary>A blob no kept manifest references.</summary>
    Unreferenced = 0,
    /// <summary>A manifest that is not tagged, not a child of a kept index and not a referrer of a kept manifest.</summary>
    Untagged = 1,
    /// <summary>A blob file the metadata does not know (a crash between its rename and its database write).</summary>
    NotInMetadata = 2,
    /// <summary>A blob record whose file is gone: only the record is dropped.</summary>
    FileMissing = 3,
}

/// <summary>What a collect did with an item.</summary>
public enum GcItemOutcome
{
    Deleted = 0,
    /// <summary>In use again, or younger than the grace period, when re-checked: left alone.</summary>
    Kept = 1,
    /// <summary>Already gone when the collect reached it.</summary>
    Gone = 2,
}

/// <summary>One line of a run's report: an eligible manifest (per repository) or blob.</summary>
public sealed class GcItemRecord
{
    public long RunId { get; set; }
    public int Ordinal { get; set; }
    public GcItemKind Kind { get; set; }
    public required string Digest { get; set; }
    public string? MediaType { get; set; }
    public long Size { get; set; }
    /// <summary>The repositories that last referenced or linked it, comma-separated (a manifest's own repository).</summary>
    public string? Repositories { get; set; }
    public GcItemReason Reason { get; set; }
    /// <summary>Null in a preview; what happened to it in a collect.</summary>
    public GcItemOutcome? Outcome { get; set; }
}
