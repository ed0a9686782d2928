namespace Wharf.Registry.Uploads;

/// <summary>Wharf's upload session settings (<c>Wharf:Uploads</c>, e.g. <c>Wharf__Uploads__MaxSessionsPerCaller=200</c>).</summary>
public sealed class UploadOptions
{
    public const string Section = "Wharf:Uploads";

    /// <summary>
    /// Open sessions one caller (a user, or a client address when anonymous) may hold at once; more answers 429.
    /// Per caller, not per repository, so one pusher's abandoned sessions never shut a repository for the others.
    /// </summary>
    public int MaxSessionsPerCaller { get; set; } = 100;

    /// <summary>Open sessions the whole registry holds at most (all callers together).</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// Sessions that never received a byte, whose last chunk failed, or whose writer died mid-chunk are purged once
    /// idle this long (the others after <c>storage.maintenance.uploadpurging.age</c>), so that space held by failed and
    /// abandoned uploads comes back within the hour instead of after a week.
    /// </summary>
    public TimeSpan AbandonedAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often abandoned sessions are looked for (idle ones are still purged every <c>uploadpurging.interval</c>).</summary>
    public TimeSpan AbandonedCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the request writing to a session holds its claim without renewing it (it renews every third of this).
    /// A session whose writer crashed can be continued by another request after this long.
    /// </summary>
    public TimeSpan ClaimLifetime { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A PATCH streamed without <c>Content-Range</c> (Docker, containerd) records its progress every this many bytes,
    /// so that after a crash the session reports, and resumes from, the bytes durably stored.
    /// </summary>
    public long CheckpointBytes { get; set; } = 64L << 20;

    public const string Requirements = $"{Section}: MaxSessionsPerCaller and MaxSessions must be positive, AbandonedAge, AbandonedCheckInterval " +
        "and ClaimLifetime between 1 second and 49 days, CheckpointBytes at least 1 MiB";

    public static bool IsValid(UploadOptions o) =>
        o.MaxSessionsPerCaller > 0 && o.MaxSessions > 0
        && InRange(o.AbandonedAge) && InRange(o.AbandonedCheckInterval) && InRange(o.ClaimLifetime)
        && o.CheckpointBytes >= 1L << 20;

    private static bool InRange(TimeSpan t) => t >= TimeSpan.FromSeconds(1) && t <= TimeSpan.FromDays(49); // PeriodicTimer's range
}
