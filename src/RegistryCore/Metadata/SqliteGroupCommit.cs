using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Group commit for Wharf's SQLite databases: every write is on disk before the call that made it returns, as with
/// SQLite's <c>synchronous=FULL</c>, but the fsync happens after the write lock is released and is shared by every
/// commit that finished while the previous one ran.
/// <para>
/// Why: with <c>FULL</c> in WAL mode SQLite fsyncs the log inside each commit, holding the database's one write
/// lock, so every push in the registry waited for every other push's fsync (a few milliseconds each on a busy disk:
/// writes were capped at a few hundred a second). SQLite has no group commit of its own. Its documentation defines
/// <c>FULL</c> in WAL mode as <c>NORMAL</c> plus one sync of the log after each commit; this does exactly that sync,
/// later: connections run <c>synchronous=NORMAL</c> (the log is written at commit and synced before each checkpoint,
/// the database file after it), and this interceptor syncs the log after every commit EF Core runs (a transaction,
/// or a statement or save outside one) before returning to the caller. A commit is acknowledged (a 201 is sent) only
/// after that; log frames are appended in commit order, so one sync covers every commit before it.
/// </para>
/// What a power loss can take: changes whose call had not returned yet (never an acknowledged push). A process crash
/// takes nothing committed (the log is in the operating system's cache). Writes made without EF Core on a raw
/// connection are durable at the next sync or checkpoint, so Wharf makes none. docs/storage.md says the same.
/// </summary>
public sealed class SqliteGroupCommit : IDbConnectionInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor, ISaveChangesInterceptor
{
    private static readonly ConcurrentDictionary<string, WalSync> Logs = new(StringComparer.Ordinal);

    private readonly WalSync _log;

    /// <param name="databaseFile">The database file; its log is the file beside it with <c>-wal</c> appended.</param>
    public SqliteGroupCommit(string databaseFile)
    {
        var full = Path.GetFullPath(databaseFile);
        _log = Logs.GetOrAdd(full, static f => new WalSync(f + "-wal"));
    }

    /// <summary>How many times the log of <paramref name="databaseFile"/> was synced by this process (for tests and diagnostics).</summary>
    public static long SyncsOf(string databaseFile) => Logs.TryGetValue(Path.GetFullPath(databaseFile), out var log) ? log.Syncs : 0;

    private static readonly AsyncLocal<bool> Unsynced = new();

    /// <summary>
    /// Commits made in this flow until the scope is disposed return without waiting for a sync of the log. Only for
    /// writes whose loss in a power cut harms nothing, because nothing is acknowledged on them: an upload session's
    /// claim (it fences the holder's later writes, and a power cut ends the holder too) and a new session (only its id
    /// was answered; losing it makes the client push again). The log is appended in commit
    /// order, so the next synced commit of the process makes such a write durable as well.
    /// </summary>
    public static IDisposable WithoutSync()
    {
        var previous = Unsynced.Value;
        Unsynced.Value = true;
        return new UnsyncedScope(previous);
    }

    private sealed class UnsyncedScope(bool previous) : IDisposable
    {
        public void Dispose() => Unsynced.Value = previous;
    }

    /// <summary>Native connections already set to NORMAL (pooled connections keep their settings between opens).</summary>
    private static readonly ConditionalWeakTable<object, object> Normal = new();

    /// <summary>
    /// NORMAL only on a connection to a database in WAL mode (all of Wharf's, from their first migration on): with a
    /// rollback journal NORMAL would risk more than the last commits, so such a connection keeps SQLite's FULL.
    /// </summary>
    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (connection is not SqliteConnection { Handle: { } handle } || Normal.TryGetValue(handle, out _)) return;
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        if (!"wal".Equals(command.ExecuteScalar() as string, StringComparison.OrdinalIgnoreCase)) return;
        command.CommandText = "PRAGMA synchronous=NORMAL";
        command.ExecuteNonQuery();
        Normal.AddOrUpdate(handle, handle);
    }

    public async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (connection is not SqliteConnection { Handle: { } handle } || Normal.TryGetValue(handle, out _)) return;
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        if (!"wal".Equals(await command.ExecuteScalarAsync(cancellationToken) as string, StringComparison.OrdinalIgnoreCase)) return;
        command.CommandText = "PRAGMA synchronous=NORMAL";
        await command.ExecuteNonQueryAsync(cancellationToken);
        Normal.AddOrUpdate(handle, handle);
    }

    // Every commit's sync goes through these two, so a flow inside WithoutSync skips them all.
    private void SyncLog()
    {
        if (!Unsynced.Value) _log.Sync();
    }

    private Task SyncLogAsync() => Unsynced.Value ? Task.CompletedTask : _log.SyncAsync();

    // The write lock is free once SQLite has committed: the next writer in the queue goes while this one syncs.
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        SqliteWriteQueue.Committed(transaction);
        SyncLog();
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteWriteQueue.Committed(transaction);
        return SyncLogAsync();
    }

    // A statement outside a transaction committed by itself (ExecuteUpdate, ExecuteDelete, ExecuteSql).
    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (command.Transaction is null) SyncLog();
        return result;
    }

    public async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        if (command.Transaction is null) await SyncLogAsync();
        return result;
    }

    // A save of one statement runs without a transaction (and through a reader, which commits only once it is read to
    // its end): synced once the save is done. A save in the caller's transaction is synced at its commit.
    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context?.Database.CurrentTransaction is null) SyncLog();
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.Database.CurrentTransaction is null) await SyncLogAsync();
        return result;
    }

    /// <summary>
    /// One database's log and the syncs of it: at most one runs at a time; a caller whose commit finished before the
    /// running sync began is covered by it, any other waits for the next one, which covers everyone waiting.
    /// </summary>
    private sealed class WalSync(string path)
    {
        private readonly Lock _gate = new();
        private long _commits;   // tickets: one per commit that asked to be synced
        private long _synced;    // every ticket up to this one is on disk
        private Task? _running;
        private long _syncs;

        public long Syncs => Interlocked.Read(ref _syncs);

        public async Task SyncAsync()
        {
            long ticket;
            lock (_gate) ticket = ++_commits;
            while (true)
            {
                Task running;
                lock (_gate)
                {
                    if (_synced >= ticket) return;
                    if (_running is null)
                    {
                        var upTo = _commits;
                        _running = Task.Run(() => SyncThrough(upTo));
                    }
                    running = _running;
                }
                await running;
            }
        }

        /// <summary>The synchronous path (migrations at start, synchronous EF calls): a sync of its own, on this thread.</summary>
        public void Sync()
        {
            long upTo;
            lock (_gate) upTo = ++_commits;
            SyncFile();
            lock (_gate) _synced = Math.Max(_synced, upTo);
        }

        private void SyncThrough(long upTo)
        {
            try
            {
                SyncFile();
                lock (_gate)
                {
                    _synced = Math.Max(_synced, upTo);
                    _running = null;
                }
            }
            catch
            {
                lock (_gate) _running = null;
                throw;
            }
        }

        private void SyncFile()
        {
            FileStream log;
            try
            {
                // Opened for writing only because that is what lets FileStream fsync; nothing is written.
                log = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.Open, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0,
                });
            }
            catch (FileNotFoundException)
            {
                // No log: SQLite removes it only after checkpointing everything into the database file and syncing that.
                return;
            }
            // Only the log's data: SQLite itself syncs a new or restarted log's header (and, the first time, its
            // directory entry) before the first frame goes in, in NORMAL mode as in FULL.
            using (log) log.Flush(flushToDisk: true);
            Interlocked.Increment(ref _syncs);
        }
    }
}
