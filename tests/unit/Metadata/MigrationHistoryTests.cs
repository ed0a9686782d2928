using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>
/// The cheap "every migration applied?" check agrees with EF Core's own: false on a new database, false with one
/// migration missing, true once all are applied (on SQLite, and on PostgreSQL in the suite's PostgreSQL run).
/// </summary>
public sealed class MigrationHistoryTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private TestDatabase _database = TestDatabase.Sqlite;

    public async Task InitializeAsync() => _database = await TestDatabase.ForThisRunAsync();

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
        _dir.Dispose();
    }

    private RegistryDbContext Open()
    {
        var settings = _database.IsPostgreSql
            ? new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = _database.ConnectionString }
            : new DatabaseSettings();
        return new RegistryDbContext((DbContextOptions<RegistryDbContext>)new DbContextOptionsBuilder<RegistryDbContext>()
            .UseRegistryDatabase(settings, _dir.Path).Options);
    }

    private static async Task<bool> IsUpToDateAsync(RegistryDbContext db)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            return await db.Database.IsUpToDateAsync(CancellationToken.None);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [Fact]
    public async Task Up_to_date_only_when_every_migration_of_the_assembly_is_in_the_history_table()
    {
        await using (var db = Open())
        {
            Assert.False(await IsUpToDateAsync(db)); // no history table yet
            var migrations = db.Database.GetMigrations().ToList();
            Assert.True(migrations.Count >= 2, "the check is only meaningful with a migration left to apply");
            await db.GetService<IMigrator>().MigrateAsync(migrations[^2]);
            Assert.False(await IsUpToDateAsync(db)); // the latest one is missing
            Assert.Equal([migrations[^1]], await db.Database.GetPendingMigrationsAsync());
        }
        await using (var db = Open())
        {
            await db.Database.MigrateWithWriteAheadLogAsync(CancellationToken.None);
            Assert.True(await IsUpToDateAsync(db));
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }
    }
}
