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
        // Database files only on SQLite; PostgreSQL keeps its own files.
        if (database.IsSqlite() && database.GetConnectionString() is { } connectionString) OwnerOnlyDatabaseFiles.Apply(connectionString);
        await database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (database.IsSqlite()) await database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            // Nothing pending: no migration lock to take, so a start on a full disk writes nothing here.
            if ((await database.GetPendingMigrationsAsync(cancellationToken)).Any()) await database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await database.CloseConnectionAsync();
        }
    }
}
