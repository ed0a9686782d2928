using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Cluster;

public enum InstanceHealth
{
    /// <summary>Heartbeats arrive.</summary>
    Healthy,
    /// <summary>No heartbeat for three intervals: stopped, hung, or cut off from the database.</summary>
    Silent,
}

/// <summary>An instance as the portal shows it.</summary>
public sealed record InstanceInfo(string Id, string Version, string? Address, DateTime StartedAt, DateTime LastHeartbeatAt,
    bool IsThisInstance, InstanceHealth Health);

/// <summary>Wharf:Cluster: how often each instance heartbeats.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Wharf:Cluster";
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>This process, as it registers itself.</summary>
public sealed class ThisInstance(IOptions<RegistryOptions> options, TimeProvider time)
{
    public string Id { get; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    public string Version { get; } = typeof(ThisInstance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ThisInstance).Assembly.GetName().Version?.ToString() ?? "unknown";

    public string Address { get; } = $"{Environment.MachineName} {options.Value.HttpAddress}";

    public DateTime StartedAt { get; } = time.GetUtcNow().UtcDateTime;
}

/// <summary>
/// The instances serving this deployment, registered in the metadata database (<see cref="ClusterInstanceRecord"/>):
/// each one writes its row at start, heartbeats (<see cref="InstanceHeartbeat"/>) and removes it when it stops. A
/// row whose heartbeat stopped is shown as <see cref="InstanceHealth.Silent"/> and pruned after a day.
/// </summary>
public sealed class ClusterInstances(IDbContextFactory<RegistryDbContext> contexts, ThisInstance self, IOptions<ClusterOptions> options, TimeProvider time)
{
    /// <summary>How long a silent instance stays listed.</summary>
    public static readonly TimeSpan SilentKept = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<InstanceInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.ClusterInstances.AsNoTracking().OrderBy(i => i.StartedAt).ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var silentAfter = options.Value.HeartbeatInterval * 3;
        return rows.Select(r => new InstanceInfo(r.Id, r.Version, r.Address, r.StartedAt, r.LastHeartbeatAt, r.Id == self.Id,
            now - r.LastHeartbeatAt <= silentAfter ? InstanceHealth.Healthy : InstanceHealth.Silent)).ToList();
    }

    /// <summary>Records this instance's heartbeat (its row again if it went missing) and prunes long-silent ones.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.ClusterInstances.Where(i => i.Id == self.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.LastHeartbeatAt, now), cancellationToken);
        if (updated == 0)
        {
            db.ClusterInstances.Add(new ClusterInstanceRecord
            {
                Id = self.Id, Version = self.Version, Address = self.Address, StartedAt = self.StartedAt, LastHeartbeatAt = now,
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        var prune = now - SilentKept;
        await db.ClusterInstances.Where(i => i.LastHeartbeatAt < prune).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Removes this instance's row (it stops).</summary>
    public async Task DeregisterAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.ClusterInstances.Where(i => i.Id == self.Id).ExecuteDeleteAsync(cancellationToken);
    }
}
