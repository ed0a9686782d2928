using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Uploads;

/// <summary>
/// Opens upload sessions within the caps, atomically: the count and the insert happen in one transaction that first
/// updates the single gate row. On SQLite that update takes the database's write lock; on PostgreSQL it takes the
/// row's lock, so concurrent starts on any instance queue behind each other and each one counts the sessions the
/// others committed (READ COMMITTED gives every statement after the lock a fresh snapshot). Without the lock, two
/// starts could both count one below the cap and both insert.
/// </summary>
public static class UploadSessionGate
{
    /// <returns>Null when the session was opened; else why not (the message for the client).</returns>
    public static async Task<string?> TryOpenAsync(RegistryDbContext db, UploadSessionRecord session, UploadOptions options, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        await db.UploadSessionGate.Where(g => g.Id == 1).ExecuteUpdateAsync(u => u.SetProperty(g => g.Starts, g => g.Starts + 1), cancellationToken);
        var owner = session.Owner;
        var byCaller = await db.UploadSessions.CountAsync(s => s.Owner == owner, cancellationToken);
        if (byCaller >= options.MaxSessionsPerCaller)
            return $"you have {byCaller} open upload sessions, the most allowed; finish or cancel some first";
        var all = await db.UploadSessions.CountAsync(cancellationToken);
        if (all >= options.MaxSessions)
            return "the registry holds the most open upload sessions it allows; retry later";
        db.UploadSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }
}
