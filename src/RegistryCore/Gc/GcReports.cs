using Wharf.Registry.Browse;
using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Gc;

/// <summary>
/// An eligible manifest (one repository's copy) or blob, as a person reviews it. The media type is known while
/// some manifest row still describes the digest; the repositories are those that linked or referenced it.
/// </summary>
public sealed record GcItem(GcItemKind Kind, string Digest, string? MediaType, long Size, IReadOnlyList<string> Repositories, GcItemReason Reason)
{
    /// <summary>Bytes deleting it frees: nothing for a record whose file is already gone.</summary>
    public long ReclaimableBytes => Kind == GcItemKind.Blob && Reason != GcItemReason.FileMissing ? Size : 0;
}

/// <summary>A manifest the mark keeps, with the digests it references (what the command line prints as "marking").</summary>
public sealed record MarkedManifest(string Repository, string Digest, IReadOnlyList<string> References);

/// <summary>What the mark found: the kept manifests, how many blobs they keep, and everything eligible.</summary>
public sealed record GcMarkResult(IReadOnlyList<MarkedManifest> Kept, int MarkedBlobs, IReadOnlyList<GcItem> Manifests, IReadOnlyList<GcItem> Blobs)
{
    public long ReclaimableBytes => Blobs.Sum(b => b.ReclaimableBytes);

    /// <summary>What is unreferenced but still inside the grace period: eligible later, not now.</summary>
    public GcWaiting Waiting { get; init; } = GcWaiting.None;
}

/// <summary>
/// Unreferenced manifests (untagged, with <c>--delete-untagged</c>) and blobs that the grace period still protects,
/// their bytes, and when the first and the last of them become eligible. This is why a preview right after a delete
/// may list nothing: the answer to "where did my space go".
/// </summary>
public sealed record GcWaiting(int Manifests, int Blobs, long Bytes, DateTime? FirstEligibleAt, DateTime? LastEligibleAt)
{
    public static readonly GcWaiting None = new(0, 0, 0, null, null);

    /// <summary>Each of them, in digest order, for the command line's report.</summary>
    public IReadOnlyList<GcWaitingItem> Items { get; init; } = [];

    public bool Any => Manifests + Blobs > 0;
}

/// <summary>
/// Garbage collection runs and their items in the metadata database: the stored dry-run report a person reviews,
/// what a collect did with each item, and the history of runs.
/// </summary>
public sealed class GcReports(RegistryDbContext db)
{
    public async Task<GcRunRecord> StartRunAsync(GcMode mode, bool deleteUntagged, string? requestedBy, long? previewRunId, string? instance, CancellationToken cancellationToken)
    {
        var run = new GcRunRecord
        {
            Mode = mode,
            DeleteUntagged = deleteUntagged,
            State = GcRunState.Running,
            RequestedBy = requestedBy,
            StartedAt = DateTime.UtcNow,
            PreviewRunId = previewRunId,
            Instance = instance,
        };
        db.GcRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(run).State = EntityState.Detached;
        return run;
    }

    public async Task FinishRunAsync(GcRunRecord run, CancellationToken cancellationToken)
    {
        db.GcRuns.Update(run);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(run).State = EntityState.Detached;
    }

    /// <summary>
    /// Runs still marked running that began before <paramref name="startedBefore"/>: called by the holder of the "gc"
    /// lease, which no live run can be without, so they belong to a process that died.
    /// </summary>
    public Task<int> MarkInterruptedAsync(DateTime startedBefore, CancellationToken cancellationToken) =>
        db.GcRuns.Where(r => r.State == GcRunState.Running && r.StartedAt < startedBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, GcRunState.Interrupted), cancellationToken);

    /// <summary>
    /// Stores a run's items (manifests first), with what happened to each when it was a collect. Written with one
    /// prepared statement, a thousand rows per transaction: a report can hold tens of thousands of items, and pushes
    /// wait for the write lock meanwhile.
    /// </summary>
    public async Task SaveItemsAsync(long runId, IReadOnlyList<GcItem> items, IReadOnlyList<GcItemOutcome?>? outcomes, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            for (var start = 0; start < items.Count; start += 1000)
            {
                // Begun through EF Core, so that it waits its turn for SQLite's write lock like every other writer and
                // its commit is synced to disk (docs/storage.md, "SQLite commits").
                await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction.GetDbTransaction();
                insert.CommandText = """
                    INSERT INTO "GcItems" ("RunId", "Ordinal", "Kind", "Digest", "MediaType", "Size", "Repositories", "Reason", "Outcome")
                    VALUES (@run, @ordinal, @kind, @digest, @mediaType, @size, @repositories, @reason, @outcome)
                    """;
                // Typed, because PostgreSQL prepares the statement before it sees a value.
                (string Name, DbType Type)[] columns =
                [
                    ("run", DbType.Int64), ("ordinal", DbType.Int32), ("kind", DbType.Int32), ("digest", DbType.String), ("mediaType", DbType.String),
                    ("size", DbType.Int64), ("repositories", DbType.String), ("reason", DbType.Int32), ("outcome", DbType.Int32),
                ];
                var parameters = columns.Select(column =>
                {
                    var parameter = insert.CreateParameter();
                    parameter.ParameterName = "@" + column.Name;
                    parameter.DbType = column.Type;
                    insert.Parameters.Add(parameter);
                    return parameter;
                }).ToArray();
                await insert.PrepareAsync(cancellationToken);
                for (var i = start; i < Math.Min(items.Count, start + 1000); i++)
                {
                    var item = items[i];
                    object?[] values =
                    [
                        runId, i, (int)item.Kind, item.Digest, item.MediaType, item.Size,
                        item.Repositories.Count > 0 ? string.Join(',', item.Repositories) : null, (int)item.Reason, (int?)outcomes?[i],
                    ];
                    for (var p = 0; p < values.Length; p++) parameters[p].Value = values[p] ?? DBNull.Value;
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>A run's items in report order (what a collect of that preview works through).</summary>
    public async Task<List<GcItem>> LoadItemsAsync(long runId, CancellationToken cancellationToken)
    {
        var rows = await db.GcItems.AsNoTracking().Where(i => i.RunId == runId).OrderBy(i => i.Ordinal).ToListAsync(cancellationToken);
        return rows.Select(r => new GcItem(r.Kind, r.Digest, r.MediaType, r.Size,
            r.Repositories?.Split(',') ?? [], r.Reason)).ToList();
    }

    public Task<GcRunRecord?> FindRunAsync(long runId, CancellationToken cancellationToken) =>
        db.GcRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);

    /// <summary>The history of runs, newest first.</summary>
    public Task<List<GcRunRecord>> HistoryAsync(int skip, int take, CancellationToken cancellationToken) =>
        db.GcRuns.AsNoTracking().OrderByDescending(r => r.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);

    /// <summary>One page of the history of runs, newest first, and how many runs there are.</summary>
    public async Task<Page<GcRunRecord>> HistoryPageAsync(int skip, int take, CancellationToken cancellationToken) =>
        new(await HistoryAsync(skip, take, cancellationToken), await db.GcRuns.CountAsync(cancellationToken));

    /// <summary>One page of a run's report, in report order, and how many items the report has.</summary>
    public async Task<Page<GcItem>> ItemPageAsync(long runId, int skip, int take, CancellationToken cancellationToken)
    {
        var rows = await ItemsAsync(runId, null, skip, take, cancellationToken);
        var total = await db.GcItems.CountAsync(i => i.RunId == runId, cancellationToken);
        return new(rows.Select(r => new GcItem(r.Kind, r.Digest, r.MediaType, r.Size, r.Repositories?.Split(',') ?? [], r.Reason)).ToList(), total);
    }

    /// <summary>One page of a run's report, optionally one kind only, in report order.</summary>
    public Task<List<GcItemRecord>> ItemsAsync(long runId, GcItemKind? kind, int skip, int take, CancellationToken cancellationToken) =>
        db.GcItems.AsNoTracking()
            .Where(i => i.RunId == runId && (kind == null || i.Kind == kind))
            .OrderBy(i => i.Ordinal).Skip(skip).Take(take).ToListAsync(cancellationToken);
}

/// <summary>
/// One manifest or blob inside the grace period: its bytes (for a blob, those of its file; nothing when the file is
/// gone) and when it becomes eligible (null for a manifest kept only as the platform or referrer of a young one).
/// </summary>
public sealed record GcWaitingItem(GcItemKind Kind, string Digest, string? Repository, long Bytes, DateTime? EligibleAt);
