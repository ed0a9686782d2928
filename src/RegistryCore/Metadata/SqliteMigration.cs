using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Wharf.Registry.Metadata;

public static class SqliteMigration
{
    /// <summary>
    /// On SQLite, switches the database to write-ahead logging (readers then never wait for a writer; the setting is stored in
    /// the file) and applies pending migrations. Used for the registry's database and the portal's alike.
    /// </summary>
    public static async Task MigrateWithWriteAheadLogAsync(this DatabaseFacade database, CancellationToken cancellationToken)
    {
        if (IsReadOnly(database))
        {
            // A read-only data directory: nothing can be written, so nothing may need writing.
            await database.OpenConnectionAsync(cancellationToken);
            try
            {
                if (await database.IsUpToDateAsync(cancellationToken)) return;
            }
            finally
            {
                await database.CloseConnectionAsync();
            }
            var pending = (await database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
                throw new InvalidOperationException(
                    $"the data directory is read-only, and its database needs {pending.Count} migration(s) this version of Wharf brings ({pending[^1]}): " +
                    "start this version once on writable storage, or serve the read-only copy with the version that wrote it");
            return;
        }
        // Database files only on SQLite; PostgreSQL keeps its own files.
        if (database.IsSqlite() && database.GetConnectionString() is { } connectionString) OwnerOnlyDatabaseFiles.Apply(connectionString);
        await database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (database.IsSqlite()) await database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            // Nothing pending: no migration lock to take, so a start on a full disk writes nothing here.
            // (MigrationHistory first: EF Core's own check costs a command's start a good part of its time.)
            if (!await database.IsUpToDateAsync(cancellationToken) && (await database.GetPendingMigrationsAsync(cancellationToken)).Any())
                await database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await database.CloseConnectionAsync();
        }
    }

    /// <summary>A SQLite database opened read-only (<see cref="SqliteConnections"/> on a read-only data directory).</summary>
    public static bool IsReadOnly(this DatabaseFacade database) =>
        database.IsSqlite() && database.GetConnectionString() is { } connectionString
        && new SqliteConnectionStringBuilder(connectionString).Mode == SqliteOpenMode.ReadOnly;
}
