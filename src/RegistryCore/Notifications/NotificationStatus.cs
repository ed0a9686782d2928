using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Notifications;

/// <summary>One endpoint's delivery state, for the portal.</summary>
public sealed record NotificationEndpointStatus(
    string Name, string Url, long Pending, DateTime? OldestPendingAt, DateTime? LastSuccessAt, DateTime? LastErrorAt, string? LastError, int ConsecutiveFailures);

/// <summary>What the portal shows about notifications: every configured endpoint, its queue and its last outcomes.</summary>
public sealed class NotificationStatus(NotificationQueue queue, IDbContextFactory<RegistryDbContext> contexts)
{
    public async Task<IReadOnlyList<NotificationEndpointStatus>> GetAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pending = await db.Set<PendingNotificationRecord>().GroupBy(r => r.Endpoint)
            .Select(g => new { Endpoint = g.Key, Count = g.LongCount(), Oldest = g.Min(r => r.CreatedAt) })
            .ToDictionaryAsync(g => g.Endpoint, cancellationToken);
        var states = await db.Set<NotificationEndpointRecord>().AsNoTracking().ToDictionaryAsync(s => s.Name, cancellationToken);
        return queue.Endpoints.Select(e =>
        {
            pending.TryGetValue(e.Name, out var p);
            states.TryGetValue(e.Name, out var s);
            return new NotificationEndpointStatus(e.Name, e.DisplayUrl, p?.Count ?? 0, p?.Oldest, s?.LastSuccessAt, s?.LastErrorAt, s?.LastError, s?.ConsecutiveFailures ?? 0);
        }).ToList();
    }
}
