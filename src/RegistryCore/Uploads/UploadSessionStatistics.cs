using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Uploads;

/// <summary>
/// What open upload sessions hold: how many there are and how many acknowledged bytes they keep in the store, with
/// the share that looks abandoned (no bytes yet, or the last chunk failed) and is purged after the shorter age.
/// </summary>
public sealed record UploadSessionStatistics(int OpenSessions, long BytesHeld, int EmptySessions, int FailedSessions);

/// <summary>The engine query behind <see cref="UploadSessionStatistics"/> (the portal shows it).</summary>
public sealed class UploadSessionStatisticsQuery(RegistryDbContext db)
{
    public async Task<UploadSessionStatistics> GetAsync(CancellationToken cancellationToken)
    {
        var totals = await db.UploadSessions.GroupBy(_ => 1).Select(g => new
        {
            Open = g.Count(),
            Bytes = g.Sum(s => s.Size),
            Empty = g.Count(s => s.Size == 0),
            Failed = g.Count(s => s.LastChunkFailed),
        }).FirstOrDefaultAsync(cancellationToken);
        return totals is null ? new UploadSessionStatistics(0, 0, 0, 0) : new UploadSessionStatistics(totals.Open, totals.Bytes, totals.Empty, totals.Failed);
    }
}
