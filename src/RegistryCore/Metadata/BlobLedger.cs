using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Wharf.Registry.Api;
using Wharf.Registry.Events;

namespace Wharf.Registry.Metadata;

/// <summary>
/// The one place that records blobs and links them into repositories, and that locks digests for whoever records
/// manifests referencing them. Garbage collection's safety rests on the lock contract below; docs/gc.md has the
/// whole argument.
/// </summary>
/// <remarks>
/// Lock contract: every transaction that makes a digest count (records its blob row, links it, records a manifest
/// that is it or references it) and every sweep step that marks or deletes it runs inside <see cref="LockAsync"/>
/// for that digest.
/// <list type="bullet">
/// <item>SQLite: the transaction is <c>BEGIN IMMEDIATE</c> (what Microsoft.Data.Sqlite begins), which holds the
/// database's single write lock from its first statement: every digest is locked at once.</item>
/// <item>PostgreSQL: a READ COMMITTED transaction that first takes <c>pg_advisory_xact_lock</c> on each digest's key,
/// in ascending key order (so two transactions never wait on each other in a cycle); the locks go at commit or
/// rollback. Statements after the lock see everything committed before it.</item>
/// </list>
/// Nothing inside a ledger transaction touches storage: writers stat or publish objects before or after it, and the
/// sweep marks rows as being deleted, commits, deletes the objects, then deletes the rows. A writer that finds its
/// digest marked waits until the sweep has finished with it (<see cref="RecordAndLinkAsync(long, string, long, RegistryEvent?, CancellationToken)"/> says so, and the caller
/// stores the object again or refuses).
/// <para>
/// It is also the one place where a change that raises an event commits: the event's notification rows
/// (<see cref="IEventOutbox"/>) are written in the change's own transaction, and the event goes to the in-process
/// sinks (audit, metrics, caches) once it has committed.
/// </para>
/// </remarks>
/// <param name="events">The in-process sinks; null for a ledger of the pull-through cache, whose writes raise their own events.</param>
public sealed class BlobLedger(RegistryDbContext db, IRegistryEventSink? events = null, IEventOutbox? outbox = null)
{
    /// <summary>How long a writer waits for a sweep to finish deleting a digest before it gives up with a retryable error.</summary>
    public static readonly TimeSpan DeletionWait = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan DeletionPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Begins a transaction holding the ledger locks on <paramref name="digests"/> (see the lock contract).</summary>
    public async Task<IDbContextTransaction> LockAsync(IEnumerable<string> digests, CancellationToken cancellationToken)
    {
        // SQLite: BEGIN IMMEDIATE once this writer's turn in the process's queue has come; the one write lock covers
        // every digest.
        var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        if (!db.Database.IsNpgsql()) return transaction;
        try
        {
            foreach (var key in digests.Select(LockKey).Distinct().Order())
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", cancellationToken);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A digest's advisory-lock key: the first 8 bytes of SHA-256 over its text. A collision only makes two digests
    /// share a lock (more waiting, never less safety). Leases use PostgreSQL's two-key space, which is apart from this one.
    /// </summary>
    public static long LockKey(string digest) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(digest)), 0);

    /// <summary>
    /// Records a blob and links it into a repository (or refreshes the link's time): from then on garbage collection
    /// keeps it for its grace period, so an object published after this call is safe, and so is one already there.
    /// A digest a sweep is deleting is waited out first.
    /// </summary>
    /// <returns>True when it had to wait for a sweep: an object stored before this call may be gone, so the caller
    /// stores it again (or refuses) before acknowledging.</returns>
    public Task<bool> RecordAndLinkAsync(long repositoryId, string digest, long size, RegistryEvent? change, CancellationToken cancellationToken) =>
        RecordAndLinkAsync(repositoryId, digest, size, null, change, cancellationToken);

    /// <summary>
    /// The same, running <paramref name="alongside"/> in the same transaction just before the rows are written (an
    /// upload's claim-fenced removal of its session: when it throws, nothing is recorded).
    /// </summary>
    public async Task<bool> RecordAndLinkAsync(long repositoryId, string digest, long size, Func<CancellationToken, Task>? alongside,
        RegistryEvent? change, CancellationToken cancellationToken)
    {
        var waited = false;
        while (true)
        {
            await using (var transaction = await LockAsync([digest], cancellationToken))
            {
                if (!await IsBeingDeletedAsync(digest, cancellationToken))
                {
                    if (alongside is not null) await alongside(cancellationToken);
                    await db.RecordBlobAsync(digest, size, cancellationToken);
                    await db.LinkBlobAsync(repositoryId, digest, cancellationToken);
                    await CommitAsync(transaction, change, cancellationToken);
                    return waited;
                }
            }
            waited = true;
            await WaitForDeletionAsync([digest], cancellationToken);
        }
    }

    /// <summary>
    /// Links a blob that is already recorded (a mount) into <paramref name="repository"/>, when no sweep is deleting it.
    /// The repository is created in the same transaction, only once the link is certain: a refused mount leaves no
    /// empty repository behind. The caller has checked that the object is in storage before calling.
    /// </summary>
    /// <returns>The blob's size, or null when it cannot be linked.</returns>
    /// <param name="change">The event the link raises, given the blob's size.</param>
    public async Task<long?> LinkExistingAsync(string repository, string digest, Func<long, RegistryEvent>? change, CancellationToken cancellationToken)
    {
        await using var transaction = await LockAsync([digest], cancellationToken);
        var blob = await db.Blobs.AsNoTracking().Where(b => b.Digest == digest).Select(b => new { b.Size, b.DeletingSince }).FirstOrDefaultAsync(cancellationToken);
        if (blob is null || blob.DeletingSince is not null) return null;
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        await db.LinkBlobAsync(repositoryId, digest, cancellationToken);
        await CommitAsync(transaction, change?.Invoke(blob.Size), cancellationToken);
        return blob.Size;
    }

    /// <summary>
    /// Runs <paramref name="record"/> (a manifest push: the checks of what it references and its rows) inside a ledger
    /// transaction on the manifest's digest and every digest it references, with the manifest's own blob recorded. When a sweep is deleting any of them it waits, calls <paramref name="storeAgain"/> (the manifest's
    /// bytes are in memory) and tries again. <paramref name="record"/> is given the referenced digests a sweep has
    /// marked, read once under the lock (a second read inside the same lock could only answer the same).
    /// </summary>
    public async Task<T> RecordManifestAsync<T>(string digest, long size, IReadOnlyCollection<string> references,
        Func<IReadOnlySet<string>, CancellationToken, Task<T>> record, Func<CancellationToken, Task> storeAgain, RegistryEvent? change,
        CancellationToken cancellationToken)
    {
        string[] locked = [digest, .. references];
        while (true)
        {
            await using (var transaction = await LockAsync(locked, cancellationToken))
            {
                var deleting = (await db.Blobs.Where(b => EF.Parameter(locked).Contains(b.Digest) && b.DeletingSince != null)
                    .Select(b => b.Digest).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
                // A referenced blob being deleted is simply absent (the checks in record refuse it); the manifest's own
                // bytes are waited out and stored again.
                if (!deleting.Contains(digest))
                {
                    // Recorded, not linked: a manifest's bytes are read as a manifest, and its row is what keeps them.
                    await db.RecordBlobAsync(digest, size, cancellationToken);
                    var result = await record(deleting, cancellationToken);
                    await CommitAsync(transaction, change, cancellationToken);
                    return result;
                }
            }
            await WaitForDeletionAsync([digest], cancellationToken);
            await storeAgain(cancellationToken);
        }
    }

    /// <summary>
    /// Runs a change that needs no digest lock (a delete) in a transaction and commits it with the event it returns
    /// (null: nothing changed, nothing to report).
    /// </summary>
    public async Task<RegistryEvent?> ChangeAsync(Func<CancellationToken, Task<RegistryEvent?>> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        var raised = await change(cancellationToken);
        await CommitAsync(transaction, raised, cancellationToken);
        return raised;
    }

    /// <summary>Commits with the event's notification rows inside the transaction, then tells the in-process sinks.</summary>
    private async Task CommitAsync(IDbContextTransaction transaction, RegistryEvent? change, CancellationToken cancellationToken)
    {
        var staged = change is null ? null : outbox?.Stage(db, change);
        try
        {
            if (staged is not null) await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // Rolled back: the rows must not linger in the context for a later save to write.
            if (staged is not null)
                foreach (var row in staged.Rows) db.Entry(row).State = EntityState.Detached;
            throw;
        }
        staged?.Committed();
        if (change is not null) events?.Publish(change);
    }

    /// <summary>
    /// Runs <paramref name="record"/> (an import's rows: blobs, links, manifests and tags it found in storage) and saves
    /// them in one ledger transaction on every digest in <paramref name="digests"/>. When a sweep is deleting any of
    /// them nothing is recorded: this waits until the sweep is done with them and returns them, and the caller checks
    /// their objects in storage again before it calls once more.
    /// </summary>
    /// <returns>The digests a sweep was deleting; empty when everything was recorded.</returns>
    public async Task<IReadOnlySet<string>> RecordAllAsync(IReadOnlyCollection<string> digests, Func<CancellationToken, Task> record,
        CancellationToken cancellationToken)
    {
        HashSet<string> deleting;
        await using (var transaction = await LockAsync(digests, cancellationToken))
        {
            deleting = await BeingDeletedAsync(digests, cancellationToken);
            if (deleting.Count == 0)
            {
                await record(cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return deleting;
            }
        }
        await WaitForDeletionAsync(deleting, cancellationToken);
        return deleting;
    }

    /// <summary>Digests among <paramref name="digests"/> whose rows a sweep has marked (for checks inside a ledger transaction).</summary>
    public async Task<HashSet<string>> BeingDeletedAsync(IReadOnlyCollection<string> digests, CancellationToken cancellationToken) =>
        (await db.Blobs.Where(b => EF.Parameter(digests.ToList()).Contains(b.Digest) && b.DeletingSince != null).Select(b => b.Digest)
            .ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);

    private Task<bool> IsBeingDeletedAsync(string digest, CancellationToken cancellationToken) =>
        db.Blobs.AnyAsync(b => b.Digest == digest && b.DeletingSince != null, cancellationToken);

    /// <summary>
    /// Waits, outside any transaction, until no row of <paramref name="digests"/> is marked: the sweep deletes the
    /// objects, then the rows. Polled, because a sweep can run on another instance.
    /// </summary>
    private async Task WaitForDeletionAsync(IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        // The wall clock on purpose: the wait is for another process's sweep, whatever clock this one is given.
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var list = digests.ToList();
        while (await db.Blobs.AnyAsync(b => EF.Parameter(list).Contains(b.Digest) && b.DeletingSince != null, cancellationToken))
        {
            if (waiting.Elapsed > DeletionWait)
                throw new RegistryException(RegistryError.Unavailable,
                    $"blob {list[0]} is being removed by garbage collection; push it again in a moment");
            await Task.Delay(DeletionPoll, cancellationToken);
        }
    }
}
