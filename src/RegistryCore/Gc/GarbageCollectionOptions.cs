namespace Wharf.Registry.Gc;

/// <summary>Wharf's garbage collection settings (<c>Wharf:GarbageCollection</c>, e.g. <c>Wharf__GarbageCollection__Interval=1.00:00:00</c>).</summary>
public sealed class GarbageCollectionOptions
{
    public const string Section = "Wharf:GarbageCollection";

    /// <summary>
    /// Nothing younger than this is collected: a blob uploaded, linked or mounted, or a manifest pushed, within the
    /// grace period is kept even when nothing references it yet. It must cover the time between a push's first layer
    /// and its manifest (and an index's children and the index), so the default is generous.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the schedule collects; off (null) unless set.</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>Whether scheduled runs also collect untagged manifests (<c>--delete-untagged</c>).</summary>
    public bool DeleteUntagged { get; set; }

    /// <summary>Blobs deleted per database transaction: pushes wait at most one batch for the sweep.</summary>
    public int SweepBatchSize { get; set; } = 100;

    /// <summary>How often a running collection writes its progress for other instances and reads their cancel request.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    public const string Requirements = $"{Section}: GracePeriod must not be negative, Interval must be between 1 second and 49 days, SweepBatchSize and ProgressInterval must be positive";

    public static bool IsValid(GarbageCollectionOptions o) =>
        o.GracePeriod >= TimeSpan.Zero
        && (o.Interval is null || o.Interval >= TimeSpan.FromSeconds(1) && o.Interval <= TimeSpan.FromDays(49)) // PeriodicTimer's range
        && o.SweepBatchSize > 0 && o.ProgressInterval > TimeSpan.Zero;
}
