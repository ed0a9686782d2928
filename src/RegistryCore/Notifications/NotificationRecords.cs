using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Wharf.Registry.Notifications;

/// <summary>One event waiting to be delivered to one endpoint; deleted once the endpoint answered 2xx.</summary>
public sealed class PendingNotificationRecord
{
    public long Id { get; set; }
    public required string Endpoint { get; set; }
    /// <summary>The event's id, the same for every endpoint and every retry: listeners deduplicate on it.</summary>
    public required string EventId { get; set; }
    /// <summary>The event as distribution's envelope carries it (one JSON object).</summary>
    public required string Event { get; set; }
    public DateTime CreatedAt { get; set; }
    public int Attempts { get; set; }
}

/// <summary>What the last deliveries to an endpoint did, kept across restarts for the portal.</summary>
public sealed class NotificationEndpointRecord
{
    public required string Name { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime? LastErrorAt { get; set; }
    public string? LastError { get; set; }
    public int ConsecutiveFailures { get; set; }
}

public sealed class PendingNotificationConfiguration : IEntityTypeConfiguration<PendingNotificationRecord>
{
    public void Configure(EntityTypeBuilder<PendingNotificationRecord> e)
    {
        e.ToTable("PendingNotifications");
        e.HasKey(x => x.Id);
        e.Property(x => x.Endpoint).HasMaxLength(128);
        e.Property(x => x.EventId).HasMaxLength(64);
        e.HasIndex(x => new { x.Endpoint, x.Id });
    }
}

public sealed class NotificationEndpointConfiguration : IEntityTypeConfiguration<NotificationEndpointRecord>
{
    public void Configure(EntityTypeBuilder<NotificationEndpointRecord> e)
    {
        e.ToTable("NotificationEndpoints");
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(128);
    }
}
