using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>
/// How Wharf writes to SQLite: writers of one process take the write lock in turn, in arrival order, and every commit
/// is synced to disk before the call that made it returns, outside the lock (docs/storage.md, "SQLite commits").
/// </summary>
public sealed class SqliteWriteTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30); // a hang fails the test instead of the run

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wharf-sqlite-write-" + Guid.NewGuid().ToString("N"));

    private string File => Path.Combine(_directory, "registry.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        await using var db = Context();
        await db.Database.MigrateWithWriteAheadLogAsync(CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private RegistryDbContext Context() =>
        new((DbContextOptions<RegistryDbContext>)new DbContextOptionsBuilder<RegistryDbContext>()
            .UseRegistryDatabase(new DatabaseSettings(), _directory).Options);

    [Fact]
    public async Task Writers_take_the_lock_in_turn_in_the_order_they_asked()
    {
        await using var a = Context();
        await using var b = Context();
        await using var c = Context();
        var order = new List<string>();

        var first = await a.Database.BeginWriteTransactionAsync(CancellationToken.None);
        order.Add("a");
        var second = Task.Run(async () =>
        {
            var t = await b.Database.BeginWriteTransactionAsync(CancellationToken.None);
            lock (order) order.Add("b");
            return t;
        });
        await WaitUntilWaitingAsync(a, 1);
        var third = Task.Run(async () =>
        {
            var t = await c.Database.BeginWriteTransactionAsync(CancellationToken.None);
            lock (order) order.Add("c");
            return t;
        });
        await WaitUntilWaitingAsync(a, 2);
        Assert.False(second.IsCompleted);

        await a.Database.ExecuteSqlRawAsync("""INSERT INTO "Repositories" ("Name", "CreatedAt") VALUES ('team/a', '2026-01-01')""");
        await first.CommitAsync();
        await using (var held = await second.WaitAsync(Bound))
        {
            // The third waits behind the second, which holds the turn (and SQLite's lock) until it commits.
            Assert.False(third.IsCompleted);
            Assert.Equal(1, a.Database.Waiting());
            await b.Database.ExecuteSqlRawAsync("""INSERT INTO "Repositories" ("Name", "CreatedAt") VALUES ('team/b', '2026-01-01')""");
            await held.CommitAsync();
        }
        await using (var last = await third.WaitAsync(Bound)) await last.RollbackAsync();
        await first.DisposeAsync();

        Assert.Equal(["a", "b", "c"], order);
        Assert.Equal(["team/a", "team/b"], await a.Repositories.OrderBy(r => r.Name).Select(r => r.Name).ToListAsync());
    }

    [Fact]
    public async Task A_transaction_ended_any_way_gives_its_turn_back()
    {
        await using var db = Context();
        // Disposed without a commit (an early return), rolled back, and committed: each time the next writer goes.
        await (await db.Database.BeginWriteTransactionAsync(CancellationToken.None)).DisposeAsync();
        await using (var t = await db.Database.BeginWriteTransactionAsync(CancellationToken.None).WaitAsync(Bound)) await t.RollbackAsync();
        await using (var t = await db.Database.BeginWriteTransactionAsync(CancellationToken.None).WaitAsync(Bound)) await t.CommitAsync();
        await using (var t = await db.Database.BeginWriteTransactionAsync(CancellationToken.None).WaitAsync(Bound))
            Assert.Same(t.GetDbTransaction(), db.Database.CurrentTransaction!.GetDbTransaction()); // hand-written commands can join it
        Assert.Equal(0, db.Database.Waiting());

        // A writer that stops waiting (its request went away) leaves the queue and takes no turn.
        await using var holder = Context();
        await using var held = await holder.Database.BeginWriteTransactionAsync(CancellationToken.None);
        using var gone = new CancellationTokenSource();
        var waiting = db.Database.BeginWriteTransactionAsync(gone.Token);
        await WaitUntilWaitingAsync(db, 1);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, db.Database.Waiting());
        await held.CommitAsync();
        await using (var t = await db.Database.BeginWriteTransactionAsync(CancellationToken.None).WaitAsync(Bound)) await t.CommitAsync();
    }

    [Fact]
    public async Task A_write_made_without_sync_returns_unsynced_and_the_next_synced_write_covers_it()
    {
        await using var db = Context();
        var repositoryId = await db.EnsureRepositoryAsync("team/claims", CancellationToken.None);
        var synced = SqliteGroupCommit.SyncsOf(File);
        using (SqliteGroupCommit.WithoutSync())
        {
            await db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CreatedAt, DateTime.UtcNow));
            await using var t = await db.Database.BeginWriteTransactionAsync(CancellationToken.None);
            await db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CreatedAt, DateTime.UtcNow));
            await t.CommitAsync();
        }
        Assert.Equal(synced, SqliteGroupCommit.SyncsOf(File));

        // Out of the scope, commits are synced again (and the log's earlier frames with them).
        await db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CreatedAt, DateTime.UtcNow));
        Assert.True(SqliteGroupCommit.SyncsOf(File) > synced);
    }

    [Fact]
    public async Task Every_write_is_synced_to_disk_before_it_returns_and_a_read_is_not()
    {
        await using var db = Context();
        await db.Database.OpenConnectionAsync();
        Assert.Equal(1L, await ScalarAsync(db, "PRAGMA synchronous")); // NORMAL, made up for by the syncs below
        await db.Database.CloseConnectionAsync();

        // A ledger transaction (the write path of every push).
        var synced = SqliteGroupCommit.SyncsOf(File);
        var repositoryId = await db.EnsureRepositoryAsync("team/app", CancellationToken.None); // a statement on its own
        Assert.True(SqliteGroupCommit.SyncsOf(File) > synced);

        synced = SqliteGroupCommit.SyncsOf(File);
        await new BlobLedger(db).RecordAndLinkAsync(repositoryId, "sha256:" + new string('a', 64), 3, null, CancellationToken.None);
        Assert.True(SqliteGroupCommit.SyncsOf(File) > synced);

        // ExecuteUpdate outside a transaction, and a save of one row (no transaction, through a reader).
        synced = SqliteGroupCommit.SyncsOf(File);
        await db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CreatedAt, DateTime.UtcNow));
        Assert.True(SqliteGroupCommit.SyncsOf(File) > synced);

        synced = SqliteGroupCommit.SyncsOf(File);
        db.Repositories.Add(new RepositoryRecord { Name = "team/saved", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        Assert.True(SqliteGroupCommit.SyncsOf(File) > synced);

        // Concurrent commits all return synced, sharing syncs; a read syncs nothing.
        synced = SqliteGroupCommit.SyncsOf(File);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            await using var other = Context();
            await other.EnsureRepositoryAsync($"team/parallel-{i}", CancellationToken.None);
        }));
        Assert.InRange(SqliteGroupCommit.SyncsOf(File) - synced, 1, 16);

        synced = SqliteGroupCommit.SyncsOf(File);
        Assert.Equal(18, await db.Repositories.CountAsync());
        Assert.Equal(synced, SqliteGroupCommit.SyncsOf(File));
    }

    [Fact]
    public async Task A_database_with_a_rollback_journal_keeps_full_synchronous_commits()
    {
        // NORMAL is safe only with a write-ahead log; any other database keeps SQLite's FULL.
        var other = Path.Combine(_directory, "journal");
        Directory.CreateDirectory(other);
        await using var db = new RegistryDbContext((DbContextOptions<RegistryDbContext>)new DbContextOptionsBuilder<RegistryDbContext>()
            .UseRegistryDatabase(new DatabaseSettings(), other).Options);
        await db.Database.OpenConnectionAsync();
        Assert.Equal("delete", (string)(await ScalarObjectAsync(db, "PRAGMA journal_mode"))!);
        Assert.Equal(2L, await ScalarAsync(db, "PRAGMA synchronous"));
        await db.Database.CloseConnectionAsync();
    }

    private static async Task WaitUntilWaitingAsync(RegistryDbContext db, int writers)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (db.Database.Waiting() < writers)
        {
            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    private static async Task<long> ScalarAsync(RegistryDbContext db, string sql) => Convert.ToInt64(await ScalarObjectAsync(db, sql));

    private static async Task<object?> ScalarObjectAsync(RegistryDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
