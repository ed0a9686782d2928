using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Gc;

/// <summary>
/// The mark: from one read snapshot of the metadata and one pass over the store's blob files, works out what is kept
/// and what is eligible. Nothing is changed, and no write lock is taken, so pushes and pulls go on meanwhile; what
/// changes after the snapshot is caught by the sweep's re-check, not here.
/// </summary>
/// <remarks>
/// Kept: every manifest row unless <c>deleteUntagged</c>; with it, manifests that are tagged, pushed within the grace
/// period, children of a kept index or referrers (by <c>subject</c>) of a kept manifest, in the same repository.
/// A blob is kept while a kept manifest is it or references it (config, layer or child manifest), in any repository.
/// Eligible: the other manifests, and every blob row or blob file that is not kept, except what was created, linked or
/// written within the grace period. A blob row whose file is gone is eligible even if referenced: it describes
/// nothing, and only the row goes.
/// </remarks>
public sealed class GcMarker(RegistryDbContext db, IBlobStorage storage)
{
    private sealed record ManifestRow(long Id, long RepositoryId, string Digest, string MediaType, long Size, string? SubjectDigest, DateTime PushedAt);

    private sealed record ReferenceRow(long ManifestId, ReferenceKind Kind, string Digest, string MediaType);

    /// <param name="gracePeriod">Only to say when what the grace period protects becomes eligible (at its young time plus this).</param>
    public async Task<GcMarkResult> MarkAsync(bool deleteUntagged, DateTime cutoff, TimeSpan gracePeriod, Action<GcPhase, long>? progress, CancellationToken cancellationToken)
    {
        progress?.Invoke(GcPhase.Marking, 0);
        Dictionary<long, string> repositories;
        List<ManifestRow> manifests;
        List<ReferenceRow> references;
        HashSet<(long, string)> tagged;
        Dictionary<string, (long Size, DateTime CreatedAt, DateTime? DeletingSince)> blobRows;
        List<(long RepositoryId, string Digest, DateTime LinkedAt)> links;
        await using (await BeginSnapshotAsync(cancellationToken))
        {
            repositories = await db.Repositories.AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.Name, cancellationToken);
            manifests = await db.Manifests.AsNoTracking()
                .Select(m => new ManifestRow(m.Id, m.RepositoryId, m.Digest, m.MediaType, m.Size, m.SubjectDigest, m.PushedAt))
                .ToListAsync(cancellationToken);
            references = await db.ManifestReferences.AsNoTracking().OrderBy(r => r.ManifestId).ThenBy(r => r.Ordinal)
                .Select(r => new ReferenceRow(r.ManifestId, r.Kind, r.Digest, r.MediaType))
                .ToListAsync(cancellationToken);
            tagged = (await db.Tags.AsNoTracking().Select(t => new { t.RepositoryId, t.ManifestDigest }).Distinct().ToListAsync(cancellationToken))
                .Select(t => (t.RepositoryId, t.ManifestDigest)).ToHashSet();
            blobRows = (await db.Blobs.AsNoTracking().Select(b => new { b.Digest, b.Size, b.CreatedAt, b.DeletingSince }).ToListAsync(cancellationToken))
                .ToDictionary(b => b.Digest, b => (b.Size, b.CreatedAt, b.DeletingSince), StringComparer.Ordinal);
            links = (await db.RepositoryBlobs.AsNoTracking().Select(l => new { l.RepositoryId, l.Digest, l.LinkedAt }).ToListAsync(cancellationToken))
                .Select(l => (l.RepositoryId, l.Digest, l.LinkedAt)).ToList();
        }
        progress?.Invoke(GcPhase.Marking, manifests.Count);

        var referencesOf = references.ToLookup(r => r.ManifestId);
        var kept = deleteUntagged
            ? KeptManifests(manifests, referencesOf, tagged, cutoff)
            : manifests.Select(m => m.Id).ToHashSet();
        // Kept only for being young (or the platform or referrer of something kept only for that): waiting, not in use.
        var waitingManifests = deleteUntagged
            ? kept.Except(KeptManifests(manifests, referencesOf, tagged, DateTime.MaxValue)).ToHashSet()
            : [];
        var youngTimes = manifests.Where(m => waitingManifests.Contains(m.Id) && m.PushedAt >= cutoff).Select(m => m.PushedAt).ToList();
        long waitingBytes = 0;
        var waitingBlobs = 0;
        var waitingItems = manifests.Where(m => waitingManifests.Contains(m.Id))
            .Select(m => new GcWaitingItem(GcItemKind.Manifest, m.Digest, repositories[m.RepositoryId], m.Size, m.PushedAt >= cutoff ? m.PushedAt + gracePeriod : null))
            .ToList();

        var keptBlobs = new HashSet<string>(StringComparer.Ordinal);
        var marked = new List<MarkedManifest>(kept.Count);
        foreach (var m in manifests.Where(m => kept.Contains(m.Id)).OrderBy(m => repositories[m.RepositoryId], StringComparer.Ordinal).ThenBy(m => m.Digest, StringComparer.Ordinal))
        {
            keptBlobs.Add(m.Digest);
            var digests = referencesOf[m.Id].Select(r => r.Digest).ToList();
            keptBlobs.UnionWith(digests);
            marked.Add(new MarkedManifest(repositories[m.RepositoryId], m.Digest, digests));
        }

        var eligibleManifests = manifests.Where(m => !kept.Contains(m.Id))
            .OrderBy(m => repositories[m.RepositoryId], StringComparer.Ordinal).ThenBy(m => m.Digest, StringComparer.Ordinal)
            .Select(m => new GcItem(GcItemKind.Manifest, m.Digest, m.MediaType, m.Size, [repositories[m.RepositoryId]], GcItemReason.Untagged))
            .ToList();

        var lastLinked = links.GroupBy(l => l.Digest).ToDictionary(g => g.Key, g => g.Max(l => l.LinkedAt), StringComparer.Ordinal);
        var files = await ScanStoreAsync(progress, cancellationToken);
        var candidates = new List<(string Digest, long Size, GcItemReason Reason)>();
        foreach (var digest in blobRows.Keys.Union(files.Keys).Order(StringComparer.Ordinal))
        {
            var hasRow = blobRows.TryGetValue(digest, out var row);
            var hasFile = files.TryGetValue(digest, out var file);
            if (hasRow && row.DeletingSince is not null)
            {
                // A sweep marked it and did not finish: it goes whatever else is true now (writers wait on the mark).
                candidates.Add((digest, hasFile ? file!.Size : row.Size, hasFile ? GcItemReason.Unreferenced : GcItemReason.FileMissing));
                continue;
            }
            GcItemReason reason;
            if (!hasFile) reason = GcItemReason.FileMissing;
            else if (keptBlobs.Contains(digest)) continue;
            else reason = hasRow ? GcItemReason.Unreferenced : GcItemReason.NotInMetadata;

            // The grace period: anything created, linked or written recently may be waiting for the manifest of a push
            // in progress.
            var young = new[] { hasRow ? row.CreatedAt : DateTime.MinValue, lastLinked.GetValueOrDefault(digest, DateTime.MinValue),
                hasFile ? file!.Modified.UtcDateTime : DateTime.MinValue }.Max();
            if (young >= cutoff)
            {
                // A row whose file is gone waits too, but frees no bytes.
                waitingBlobs++;
                if (hasFile) waitingBytes += file!.Size;
                youngTimes.Add(young);
                waitingItems.Add(new GcWaitingItem(GcItemKind.Blob, digest, null, hasFile ? file!.Size : 0, young + gracePeriod));
                continue;
            }
            candidates.Add((digest, hasFile ? file!.Size : row.Size, reason));
        }

        // What the report says about an eligible blob: a media type from any manifest row that still describes it, and
        // the repositories that linked it or whose manifests are it or reference it.
        var wanted = candidates.Select(c => c.Digest).ToHashSet(StringComparer.Ordinal);
        var mediaTypes = new Dictionary<string, string>(StringComparer.Ordinal);
        var holders = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Note(string digest, long repositoryId, string? mediaType)
        {
            if (!wanted.Contains(digest)) return;
            if (mediaType is not null) mediaTypes.TryAdd(digest, mediaType);
            if (!holders.TryGetValue(digest, out var set)) holders[digest] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.Add(repositories[repositoryId]);
        }
        var repositoryOf = manifests.ToDictionary(m => m.Id, m => m.RepositoryId);
        foreach (var m in manifests) Note(m.Digest, m.RepositoryId, m.MediaType);
        foreach (var r in references) Note(r.Digest, repositoryOf[r.ManifestId], r.MediaType);
        foreach (var (repositoryId, digest, _) in links) Note(digest, repositoryId, null);
        var eligibleBlobs = candidates.Select(c => new GcItem(GcItemKind.Blob, c.Digest, mediaTypes.GetValueOrDefault(c.Digest), c.Size,
            holders.TryGetValue(c.Digest, out var set) ? set.ToList() : [], c.Reason)).ToList();
        var waiting = new GcWaiting(waitingManifests.Count, waitingBlobs, waitingBytes,
            youngTimes.Count == 0 ? null : youngTimes.Min() + gracePeriod, youngTimes.Count == 0 ? null : youngTimes.Max() + gracePeriod)
        {
            Items = waitingItems.OrderBy(i => i.Kind).ThenBy(i => i.Digest, StringComparer.Ordinal).ToList(),
        };
        return new GcMarkResult(marked, keptBlobs.Count, eligibleManifests, eligibleBlobs) { Waiting = waiting };
    }

    /// <summary>
    /// The manifests kept under <c>--delete-untagged</c>: tagged or young ones, then, transitively, the children of a
    /// kept index and the referrers of a kept manifest in the same repository. Keeping children is where Wharf
    /// differs from distribution 2.8, which deletes them and so breaks multi-platform images.
    /// </summary>
    private static HashSet<long> KeptManifests(List<ManifestRow> manifests, ILookup<long, ReferenceRow> referencesOf,
        HashSet<(long, string)> tagged, DateTime cutoff)
    {
        var byDigest = manifests.ToDictionary(m => (m.RepositoryId, m.Digest));
        var referrers = manifests.Where(m => m.SubjectDigest is not null).ToLookup(m => (m.RepositoryId, m.SubjectDigest!));
        var kept = new HashSet<long>();
        var pending = new Queue<ManifestRow>();
        void Keep(ManifestRow m)
        {
            if (kept.Add(m.Id)) pending.Enqueue(m);
        }
        foreach (var m in manifests)
            if (tagged.Contains((m.RepositoryId, m.Digest)) || m.PushedAt >= cutoff) Keep(m);
        while (pending.TryDequeue(out var m))
        {
            foreach (var child in referencesOf[m.Id].Where(r => r.Kind == ReferenceKind.Manifest))
                if (byDigest.TryGetValue((m.RepositoryId, child.Digest), out var c)) Keep(c);
            foreach (var referrer in referrers[(m.RepositoryId, m.Digest)]) Keep(referrer);
        }
        return kept;
    }

    /// <summary>
    /// Every blob in the store, by digest (distribution's layout: blobs/&lt;algorithm&gt;/&lt;xx&gt;/&lt;hex&gt;/data), from one
    /// flat, paged listing: one request per thousand objects on an object store.
    /// </summary>
    private async Task<Dictionary<string, StorageObject>> ScanStoreAsync(Action<GcPhase, long>? progress, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, StorageObject>(StringComparer.Ordinal);
        foreach (var algorithm in new[] { "sha256", "sha512" })
        {
            await foreach (var item in storage.ListAllAsync(StorageLayout.BlobsRoot(algorithm) + "/", cancellationToken))
            {
                if (StorageLayout.ParseBlobData(item.Key) is not { } digest) continue;
                files[digest.ToString()] = item;
                if (files.Count % 1000 == 0) progress?.Invoke(GcPhase.ScanningStore, files.Count);
            }
        }
        progress?.Invoke(GcPhase.ScanningStore, files.Count);
        return files;
    }

    /// <summary>
    /// A read snapshot. SQLite: a deferred BEGIN takes no write lock, and in WAL mode the reads that follow see one
    /// consistent state while writers commit alongside. PostgreSQL: a REPEATABLE READ, READ ONLY transaction does the
    /// same (one snapshot for every statement, no locks that writers wait on).
    /// </summary>
    private async Task<IAsyncDisposable> BeginSnapshotAsync(CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        DbTransaction transaction;
        if (connection is SqliteConnection sqlite)
        {
            transaction = sqlite.BeginTransaction(deferred: true);
        }
        else
        {
            transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            await using var readOnly = connection.CreateCommand();
            readOnly.Transaction = transaction;
            readOnly.CommandText = "SET TRANSACTION READ ONLY";
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        await db.Database.UseTransactionAsync(transaction, cancellationToken);
        return new Snapshot(db, transaction);
    }

    private sealed class Snapshot(RegistryDbContext db, DbTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await db.Database.UseTransactionAsync(null);
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await db.Database.CloseConnectionAsync();
        }
    }
}
