using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Gc;

/// <summary>
/// The sweep: deletes eligible items, each re-checked inside a write transaction, because the mark's view is old by
/// the time the sweep (or a collect of a reviewed preview) gets to it.
/// </summary>
/// <remarks>
/// Every step that decides about a digest runs inside a <see cref="BlobLedger"/> transaction on it, the lock every
/// writer that makes a digest count also takes. Blobs go in four steps (GitLab's registry does the same): look at
/// storage, re-check and mark the rows as being deleted, commit; delete the objects with no lock held; delete the
/// rows. A writer runs wholly before the mark (the re-check then sees its rows or fresh link and keeps the blob) or
/// after it (it sees the mark and waits until the rows are gone, then records afresh and stores the object again or
/// refuses). See docs/gc.md for the whole argument, on SQLite and PostgreSQL.
/// </remarks>
public sealed class GcSweeper(RegistryDbContext db, BlobStore store, int batchSize)
{
    /// <summary>
    /// Deletes the eligible manifests (one repository per transaction) that are still unprotected: not tagged, not
    /// pushed within the grace period, and not the child or referrer of a manifest that stays.
    /// </summary>
    public async Task SweepManifestsAsync(IReadOnlyList<GcItem> items, GcItemOutcome?[] outcomes, DateTime cutoff, Action<int> advanced,
        CancellationToken cancellationToken)
    {
        foreach (var group in items.Select((item, index) => (item, index)).GroupBy(x => x.item.Repositories.FirstOrDefault() ?? ""))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await SweepRepositoryManifestsAsync(group.Key, group.Select(x => x.item.Digest).ToHashSet(StringComparer.Ordinal), cutoff);
            foreach (var (item, index) in group) outcomes[index] = result[item.Digest];
            advanced(group.Count());
        }
    }

    private async Task<Dictionary<string, GcItemOutcome>> SweepRepositoryManifestsAsync(string repository, HashSet<string> candidates, DateTime cutoff)
    {
        var none = CancellationToken.None; // a transaction is finished, not abandoned half way
        var outcome = candidates.ToDictionary(d => d, _ => GcItemOutcome.Gone, StringComparer.Ordinal);
        // Locked like every writer of these digests (a tag push, an index that takes one as a child).
        await using var transaction = await new BlobLedger(db).LockAsync(candidates, none);
        if (await db.FindRepositoryAsync(repository, none) is not { } repositoryId) return outcome;

        // EF.Parameter: one JSON array parameter however many candidates (SQLite caps a statement's parameters).
        var digests = candidates.ToList();
        var rows = await db.Manifests.Where(m => m.RepositoryId == repositoryId && EF.Parameter(digests).Contains(m.Digest))
            .Select(m => new { m.Id, m.Digest, m.SubjectDigest, m.PushedAt }).ToListAsync(none);
        var tagged = (await db.Tags.Where(t => t.RepositoryId == repositoryId && EF.Parameter(digests).Contains(t.ManifestDigest))
            .Select(t => t.ManifestDigest).ToListAsync(none)).ToHashSet(StringComparer.Ordinal);
        var parents = (await (from r in db.ManifestReferences
                              join m in db.Manifests on r.ManifestId equals m.Id
                              where m.RepositoryId == repositoryId && r.Kind == ReferenceKind.Manifest && EF.Parameter(digests).Contains(r.Digest)
                              select new { Child = r.Digest, Parent = m.Digest }).ToListAsync(none))
            .ToLookup(p => p.Child, p => p.Parent, StringComparer.Ordinal);
        var subjects = rows.Where(r => r.SubjectDigest is not null).Select(r => r.SubjectDigest!).Distinct().ToList();
        var presentSubjects = (await db.Manifests.Where(m => m.RepositoryId == repositoryId && EF.Parameter(subjects).Contains(m.Digest))
            .Select(m => m.Digest).ToListAsync(none)).ToHashSet(StringComparer.Ordinal);

        // A manifest outside the candidates stays, so it protects its children and referrers; a candidate protects
        // them once it is itself protected. Iterate to the fixpoint (chains of indexes and referrers).
        var protectedDigests = new HashSet<string>(StringComparer.Ordinal);
        bool Stays(string digest) => !candidates.Contains(digest) || protectedDigests.Contains(digest);
        bool changed;
        do
        {
            changed = false;
            foreach (var row in rows.Where(r => !protectedDigests.Contains(r.Digest)))
            {
                if (tagged.Contains(row.Digest) || row.PushedAt >= cutoff || parents[row.Digest].Any(Stays)
                    || row.SubjectDigest is { } subject && presentSubjects.Contains(subject) && Stays(subject))
                {
                    protectedDigests.Add(row.Digest);
                    changed = true;
                }
            }
        }
        while (changed);

        var doomed = rows.Where(r => !protectedDigests.Contains(r.Digest)).Select(r => r.Id).ToList();
        await db.Manifests.Where(m => EF.Parameter(doomed).Contains(m.Id)).ExecuteDeleteAsync(none); // references cascade
        await transaction.CommitAsync(none);
        foreach (var row in rows) outcome[row.Digest] = protectedDigests.Contains(row.Digest) ? GcItemOutcome.Kept : GcItemOutcome.Deleted;
        return outcome;
    }

    /// <summary>
    /// Deletes the eligible blobs, a batch per transaction, that are still unused: no manifest row is or references
    /// them (manifests were swept first, so every remaining one is kept), and nothing about them is younger than the
    /// grace period. A record whose file is gone is dropped. Returns the bytes freed.
    /// </summary>
    public async Task<long> SweepBlobsAsync(IReadOnlyList<GcItem> items, GcItemOutcome?[] outcomes, DateTime cutoff, Action<int> advanced,
        CancellationToken cancellationToken)
    {
        long freed = 0;
        for (var start = 0; start < items.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, items.Count - start);
            freed += await SweepBlobBatchAsync(items, outcomes, start, count, cutoff);
            advanced(count);
        }
        return freed;
    }

    private async Task<long> SweepBlobBatchAsync(IReadOnlyList<GcItem> items, GcItemOutcome?[] outcomes, int start, int count, DateTime cutoff)
    {
        var none = CancellationToken.None;
        var digests = Enumerable.Range(start, count).Select(i => items[i].Digest).ToList();
        var ledger = new BlobLedger(db);

        // 1. Storage, before any lock: which objects are there and how old they are. A writer that stores one after
        //    this look records it under the ledger lock, where step 2 sees it (or it sees step 2's mark).
        var files = new Dictionary<string, StorageObject?>(StringComparer.Ordinal);
        foreach (var text in digests) files[text] = await store.StatAsync(Digest.Parse(text), none);

        // 2. Re-check and mark, inside a ledger transaction on the batch's digests; commit.
        var marked = new List<string>();
        var deleteFiles = new List<Digest>();
        long freed = 0;
        await using (var transaction = await ledger.LockAsync(digests, none))
        {
            var inUse = (await db.Manifests.Where(m => EF.Parameter(digests).Contains(m.Digest)).Select(m => m.Digest).ToListAsync(none))
                .Concat(await db.ManifestReferences.Where(r => EF.Parameter(digests).Contains(r.Digest)).Select(r => r.Digest).ToListAsync(none))
                .ToHashSet(StringComparer.Ordinal);
            var rows = await db.Blobs.Where(b => EF.Parameter(digests).Contains(b.Digest))
                .ToDictionaryAsync(b => b.Digest, b => new { b.CreatedAt, b.DeletingSince }, none);
            var lastLinked = (await db.RepositoryBlobs.Where(l => EF.Parameter(digests).Contains(l.Digest)).Select(l => new { l.Digest, l.LinkedAt }).ToListAsync(none))
                .GroupBy(l => l.Digest).ToDictionary(g => g.Key, g => g.Max(l => l.LinkedAt), StringComparer.Ordinal);

            var dropRows = new List<string>();
            var strays = new List<(string Digest, long Size)>();
            for (var i = start; i < start + count; i++)
            {
                var text = items[i].Digest;
                var file = files[text];
                var hasRow = rows.TryGetValue(text, out var row);
                if (row?.DeletingSince is not null)
                {
                    // Marked by a sweep that did not finish (writers have waited on it since): finish it.
                    outcomes[i] = GcItemOutcome.Deleted;
                    marked.Add(text);
                    if (file is not null) { deleteFiles.Add(Digest.Parse(text)); freed += file.Size; }
                    continue;
                }
                // A record or link younger than the grace period may be an upload recorded just before its object
                // is published, so it is kept even while its object is not there yet.
                var young = hasRow && row!.CreatedAt >= cutoff
                    || lastLinked.TryGetValue(text, out var linkedAt) && linkedAt >= cutoff
                    || file is not null && file.Modified.UtcDateTime >= cutoff;
                if (young || file is not null && inUse.Contains(text))
                {
                    outcomes[i] = GcItemOutcome.Kept;
                    continue;
                }
                if (file is null)
                {
                    // Nothing in storage: drop a record that describes nothing (only rows change, so no mark is needed).
                    outcomes[i] = hasRow ? GcItemOutcome.Deleted : GcItemOutcome.Gone;
                    if (hasRow) dropRows.Add(text);
                    continue;
                }
                outcomes[i] = GcItemOutcome.Deleted;
                if (hasRow) marked.Add(text);
                else strays.Add((text, file.Size)); // marked too, so a writer storing these bytes right now waits
                deleteFiles.Add(Digest.Parse(text));
                freed += file.Size;
            }

            var now = DateTime.UtcNow;
            await db.Blobs.Where(b => EF.Parameter(marked).Contains(b.Digest)).ExecuteUpdateAsync(u => u.SetProperty(b => b.DeletingSince, now), none);
            foreach (var (digest, size) in strays)
                await db.Database.ExecuteSqlAsync(
                    $"""INSERT INTO "Blobs" ("Digest", "Size", "CreatedAt", "DeletingSince") VALUES ({digest}, {size}, {now}, {now}) ON CONFLICT DO NOTHING""", none);
            marked.AddRange(strays.Select(s => s.Digest));
            await db.RepositoryBlobs.Where(l => EF.Parameter(dropRows).Contains(l.Digest)).ExecuteDeleteAsync(none);
            await db.Blobs.Where(b => EF.Parameter(dropRows).Contains(b.Digest)).ExecuteDeleteAsync(none);
            await transaction.CommitAsync(none);
        }

        // 3. Storage, with no lock held: the objects go, in one batch (S3 DeleteObjects, parallel deletes on Azure).
        //    Should the process die here, the marked rows stay; writers of these digests wait, and the next run
        //    finishes them.
        await store.DeleteManyAsync(deleteFiles, none);

        // 4. The rows go (with their links), in a ledger transaction again; writers that waited record afresh.
        await using (var transaction = await ledger.LockAsync(marked, none))
        {
            await db.RepositoryBlobs.Where(l => EF.Parameter(marked).Contains(l.Digest)).ExecuteDeleteAsync(none);
            await db.Blobs.Where(b => EF.Parameter(marked).Contains(b.Digest) && b.DeletingSince != null).ExecuteDeleteAsync(none);
            await transaction.CommitAsync(none);
        }
        return freed;
    }
}
