namespace Wharf.Registry.Metadata;

/// <summary>A Wharf process serving this deployment, as it registered itself; it heartbeats while it runs.</summary>
public sealed class ClusterInstanceRecord
{
    /// <summary>Unique per process start (host name and a random suffix).</summary>
    public required string Id { get; set; }
    public required string Version { get; set; }
    /// <summary>Where it listens, as configured (http.addr) and its host name, for the operator.</summary>
    public string? Address { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime LastHeartbeatAt { get; set; }
}

/// <summary>When a cluster-wide schedule (garbage collection, upload purging, cache expiry) last ran, on any instance.</summary>
public sealed class ScheduleRunRecord
{
    public required string Name { get; set; }
    public DateTime LastRunAt { get; set; }
}
