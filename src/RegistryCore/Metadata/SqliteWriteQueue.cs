using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Write transactions on SQLite, taken in turn. SQLite has one write lock per database file; a second connection
/// asking for it while it is held gets SQLITE_BUSY, on which Microsoft.Data.Sqlite blocks its thread for 150 ms and
/// tries again, for as long as the command timeout allows. Under a busy CI that made a push wait for hundreds of
/// milliseconds behind transactions lasting one, and a writer could lose the race again and again (seconds, while
/// garbage collection ran) while blocked threads starved the thread pool.
/// <para>
/// So writers in this process queue for the lock first, without blocking a thread, and in arrival order
/// (<see cref="SemaphoreSlim"/> grants asynchronous waiters first come, first served); only the head of the queue
/// asks SQLite for the lock, and gets it at once unless another process (a <c>wharf garbage-collect</c> beside the
/// server) holds it, in which case SQLite's own busy handler waits (<see cref="SqliteConnections.PragmasOnOpen"/>).
/// One queue per database file, since that is what SQLite locks. On PostgreSQL nothing queues: writers on different
/// rows run in parallel there.
/// </para>
/// The queue is an addition to the ledger's lock contract (docs/gc.md), not a replacement: the transaction is still
/// <c>BEGIN IMMEDIATE</c>, and what it locks is still SQLite's lock. A holder must not wait, inside its transaction,
/// for another write of this process (it would wait on itself); the slot is given back as soon as SQLite has
/// committed (before the commit is synced to disk, which <see cref="SqliteGroupCommit"/> does for many at once) or
/// rolled back, and in any case before the committed change's events are published.
/// </summary>
public static class SqliteWriteQueue
{
    private static readonly ConcurrentDictionary<string, Turns> ByFile = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Turns> ByConnectionString = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<DbTransaction, QueuedTransaction> Held = new();

    /// <summary>Begins a write transaction (on SQLite, <c>BEGIN IMMEDIATE</c> once this writer's turn has come).</summary>
    public static async Task<IDbContextTransaction> BeginWriteTransactionAsync(this DatabaseFacade database, CancellationToken cancellationToken)
    {
        if (!database.IsSqlite()) return await database.BeginTransactionAsync(cancellationToken);
        var queue = QueueOf(database.GetConnectionString()!);
        await queue.EnterAsync(cancellationToken);
        try
        {
            var transaction = await database.BeginTransactionAsync(cancellationToken);
            var queued = new QueuedTransaction(transaction, queue);
            Held.AddOrUpdate(transaction.GetDbTransaction(), queued);
            return queued;
        }
        catch
        {
            queue.Leave();
            throw;
        }
    }

    /// <summary>
    /// Called once a transaction has committed, before its commit is synced to disk (<see cref="SqliteGroupCommit"/>):
    /// the next writer may go while this one waits for the disk.
    /// </summary>
    public static void Committed(DbTransaction transaction)
    {
        if (Held.TryGetValue(transaction, out var queued)) queued.Release();
    }

    /// <summary>How many writers of this process wait for their turn on this database now (for tests and diagnostics).</summary>
    public static int Waiting(this DatabaseFacade database) => database.IsSqlite() ? QueueOf(database.GetConnectionString()!).Waiting : 0;

    private static Turns QueueOf(string connectionString) =>
        ByConnectionString.GetOrAdd(connectionString, static c => ByFile.GetOrAdd(FileOf(c), static _ => new Turns()));

    private static string FileOf(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? source : Path.GetFullPath(source);
    }

    /// <summary>The transaction, giving its place in the queue back once, at commit, rollback or disposal.</summary>
    /// <summary>One database's queue: one holder at a time, asynchronous waiters served first come, first served.</summary>
    private sealed class Turns
    {
        private readonly SemaphoreSlim _holder = new(1, 1);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public async Task EnterAsync(CancellationToken cancellationToken)
        {
            if (_holder.Wait(0)) return;
            Interlocked.Increment(ref _waiting);
            try
            {
                await _holder.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        public void Leave() => _holder.Release();
    }

    private sealed class QueuedTransaction(IDbContextTransaction inner, Turns queue) : IDbContextTransaction
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;

        public bool SupportsSavepoints => inner.SupportsSavepoints;

        public void Commit()
        {
            try { inner.Commit(); }
            finally { Release(); }
        }

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            try { await inner.CommitAsync(cancellationToken); }
            finally { Release(); }
        }

        public void Rollback()
        {
            try { inner.Rollback(); }
            finally { Release(); }
        }

        public async Task RollbackAsync(CancellationToken cancellationToken = default)
        {
            try { await inner.RollbackAsync(cancellationToken); }
            finally { Release(); }
        }

        public void CreateSavepoint(string name) => inner.CreateSavepoint(name);

        public Task CreateSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.CreateSavepointAsync(name, cancellationToken);

        public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);

        public Task RollbackToSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.RollbackToSavepointAsync(name, cancellationToken);

        public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);

        public Task ReleaseSavepointAsync(string name, CancellationToken cancellationToken = default) => inner.ReleaseSavepointAsync(name, cancellationToken);

        public void Dispose()
        {
            try { inner.Dispose(); }
            finally { Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            try { await inner.DisposeAsync(); }
            finally { Release(); }
        }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) queue.Leave();
        }
    }
}
