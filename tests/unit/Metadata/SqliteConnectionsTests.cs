using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>How Wharf opens its SQLite files: never through a memory map, and read-only without losing a write-ahead log.</summary>
public sealed class SqliteConnectionsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wharf-sqlite-" + Guid.NewGuid().ToString("N"));

    public SqliteConnectionsTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private RegistryDbContext Context(bool readOnly = false) =>
        new((DbContextOptions<RegistryDbContext>)new DbContextOptionsBuilder<RegistryDbContext>()
            .UseRegistryDatabase(new DatabaseSettings { SqliteReadOnly = readOnly }, _directory).Options);

    private static async Task<long> ScalarAsync(RegistryDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Every_connection_reads_the_database_without_a_memory_map()
    {
        await using var db = Context();
        await db.Database.MigrateWithWriteAheadLogAsync(CancellationToken.None);

        // Something on a pooled connection turns memory-mapped I/O on; the next open through Wharf turns it off again.
        await db.Database.OpenConnectionAsync();
        await ScalarAsync(db, "PRAGMA mmap_size=268435456");
        Assert.True(await ScalarAsync(db, "PRAGMA mmap_size") > 0, "this SQLite build cannot map the database at all: the test shows nothing");
        await db.Database.CloseConnectionAsync();

        await db.Database.OpenConnectionAsync();
        Assert.Equal(0, await ScalarAsync(db, "PRAGMA mmap_size"));
        await db.Database.CloseConnectionAsync();
    }

    [Fact]
    public async Task A_read_only_database_without_a_write_ahead_log_is_opened_immutable_and_reads()
    {
        await using (var db = Context())
        {
            await db.Database.MigrateWithWriteAheadLogAsync(CancellationToken.None);
            await db.EnsureRepositoryAsync("team/app", CancellationToken.None);
        }
        SqliteConnection.ClearAllPools(); // the last connection folds the log into the database and removes it
        var file = Path.Combine(_directory, "registry.db");
        Assert.False(File.Exists(file + "-wal"));

        var connectionString = SqliteConnections.ConnectionString(file, readOnly: true);
        Assert.Contains("immutable=1", connectionString);
        await using var readOnly = Context(readOnly: true);
        Assert.True(readOnly.Database.IsReadOnly());
        await readOnly.Database.MigrateWithWriteAheadLogAsync(CancellationToken.None); // nothing pending: nothing written
        Assert.Equal(["team/app"], await readOnly.Repositories.Select(r => r.Name).ToListAsync());
        await Assert.ThrowsAsync<SqliteException>(() => readOnly.EnsureRepositoryAsync("team/other", CancellationToken.None));
    }

    [Fact]
    public async Task A_read_only_database_with_a_write_ahead_log_is_read_through_it()
    {
        var file = Path.Combine(_directory, "registry.db");
        await using var writer = new SqliteConnection($"Data Source={file};Pooling=False");
        await writer.OpenAsync();
        await using (var command = writer.CreateCommand())
        {
            // A log that holds the only copy of a transaction, as a crash leaves it (the writer stays open).
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (42);";
            await command.ExecuteNonQueryAsync();
        }
        Assert.True(new FileInfo(file + "-wal").Length > 0);

        var connectionString = SqliteConnections.ConnectionString(file, readOnly: true);
        Assert.DoesNotContain("immutable", connectionString);
        await using var reader = new SqliteConnection(connectionString);
        await reader.OpenAsync();
        await using var query = reader.CreateCommand();
        query.CommandText = "SELECT x FROM t";
        Assert.Equal(42L, await query.ExecuteScalarAsync());
    }

    [Fact]
    public void A_write_ahead_log_without_its_index_on_a_read_only_directory_stops_the_start_with_the_reason()
    {
        var file = Path.Combine(_directory, "registry.db");
        File.WriteAllBytes(file, []);
        File.WriteAllBytes(file + "-wal", [1, 2, 3]);
        var error = Assert.Throws<InvalidOperationException>(() => SqliteConnections.ConnectionString(file, readOnly: true));
        Assert.Contains("write-ahead log but no -shm file", error.Message);
    }
}
