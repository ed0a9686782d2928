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
/// On SQLite a transaction begun through EF Core is <c>BEGIN IMMEDIATE</c>: it holds the database's single write lock
/// until it ends. Every writer that makes a blob or manifest count (upload completion, mount, manifest push) checks the
/// blob file and records its rows inside such a transaction, and the sweep re-checks, deletes the rows and deletes the
/// files inside one too. So each writer runs wholly before a sweep batch (which then sees the new rows or the fresh
/// link time and keeps the blob) or wholly after it (and then finds the file gone and puts it back, or refuses).
/// See docs/gc.md for the whole argument.
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
        await using var transaction = await db.Database.BeginTransactionAsync(none);
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
        await using var transaction = await db.Database.BeginTransactionAsync(none);
        var inUse = (await db.Manifests.Where(m => EF.Parameter(digests).Contains(m.Digest)).Select(m => m.Digest).ToListAsync(none))
            .Concat(await db.ManifestReferences.Where(r => EF.Parameter(digests).Contains(r.Digest)).Select(r => r.Digest).ToListAsync(none))
            .ToHashSet(StringComparer.Ordinal);
        var created = await db.Blobs.Where(b => EF.Parameter(digests).Contains(b.Digest)).ToDictionaryAsync(b => b.Digest, b => b.CreatedAt, none);
        var lastLinked = (await db.RepositoryBlobs.Where(l => EF.Parameter(digests).Contains(l.Digest)).Select(l => new { l.Digest, l.LinkedAt }).ToListAsync(none))
            .GroupBy(l => l.Digest).ToDictionary(g => g.Key, g => g.Max(l => l.LinkedAt), StringComparer.Ordinal);

        var dropRows = new List<string>();
        var deleteFiles = new List<Digest>();
        long freed = 0;
        for (var i = start; i < start + count; i++)
        {
            var text = items[i].Digest;
            var digest = Digest.Parse(text);
            var file = await store.StatAsync(digest, none);
            var hasRow = created.TryGetValue(text, out var createdAt);
            if (file is null)
            {
                // Nothing on disk: drop a record that describes nothing (a sweep that died after deleting the file).
                outcomes[i] = hasRow ? GcItemOutcome.Deleted : GcItemOutcome.Gone;
                if (hasRow) dropRows.Add(text);
                continue;
            }
            var young = hasRow && createdAt >= cutoff
                || lastLinked.TryGetValue(text, out var linkedAt) && linkedAt >= cutoff
                || file.Modified.UtcDateTime >= cutoff;
            if (inUse.Contains(text) || young)
            {
                outcomes[i] = GcItemOutcome.Kept;
                continue;
            }
            outcomes[i] = GcItemOutcome.Deleted;
            if (hasRow) dropRows.Add(text);
            deleteFiles.Add(digest);
            freed += file.Size;
        }

        await db.RepositoryBlobs.Where(l => EF.Parameter(dropRows).Contains(l.Digest)).ExecuteDeleteAsync(none);
        await db.Blobs.Where(b => EF.Parameter(dropRows).Contains(b.Digest)).ExecuteDeleteAsync(none);
        // The files go while the write lock is held, so no writer can find a file here, count on it, and lose it a
        // moment later; in one batch (S3 DeleteObjects, parallel deletes on Azure). Should the process die before the commit, the rows
        // come back without their files: pulls and pushes already treat a missing file as absent, and the next run
        // drops those rows.
        await store.DeleteManyAsync(deleteFiles, none);
        await transaction.CommitAsync(none);
        return freed;
    }
}
