using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Cluster;

/// <summary>
/// Makes a schedule (garbage collection, upload purging, cache expiry) run once per period across every instance
/// sharing the metadata, not once per instance: each instance's timer still fires, and the first to claim the
/// period runs it. The claim is one conditional UPDATE of the schedule's <see cref="ScheduleRunRecord"/> (or the
/// INSERT of its first row), which the database serializes, so two instances never both claim one period. The
/// schedules' leases stay: they keep a run that outlasts its period from overlapping the next.
/// </summary>
public sealed class ScheduleClaims(IDbContextFactory<RegistryDbContext> contexts, TimeProvider time)
{
    /// <summary>
    /// True when the schedule did not run, on any instance, within the last <paramref name="period"/> (less a tenth
    /// for timer jitter), and records that it runs now; false when another instance ran it in this period.
    /// </summary>
    public async Task<bool> TryClaimAsync(string name, TimeSpan period, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = now - (period - period / 10);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var claimed = await db.ScheduleRuns.Where(s => s.Name == name && s.LastRunAt <= due)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastRunAt, now), cancellationToken);
        if (claimed == 1) return true;
        if (await db.ScheduleRuns.AnyAsync(s => s.Name == name, cancellationToken)) return false;
        db.ScheduleRuns.Add(new ScheduleRunRecord { Name = name, LastRunAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            return false; // another instance inserted the first row: it claimed this period
        }
    }
}
