using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Configuration;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Points a context (the registry's or the portal's) at the configured database. On PostgreSQL both contexts share
/// one database, so each keeps its own migrations assembly, history table and compiled model (<see cref="CompiledModel"/>).
/// </summary>
public static class WharfDatabase
{
    public const string RegistryPostgreSqlMigrations = "Wharf.RegistryCore.PostgreSql";
    public const string RegistryHistoryTable = "__RegistryMigrationsHistory";

    public static DbContextOptionsBuilder UseWharfDatabase(this DbContextOptionsBuilder builder, DatabaseSettings settings, string sqliteFile,
        string postgreSqlMigrationsAssembly, string postgreSqlHistoryTable)
    {
        if (settings.IsPostgreSql)
            return builder.UseNpgsql(settings.ConnectionString, o => o.MigrationsAssembly(postgreSqlMigrationsAssembly).MigrationsHistoryTable(postgreSqlHistoryTable))
                .UseModel(CompiledModel.Find(builder.Options.ContextType, postgreSqlMigrationsAssembly));
        // The SQLite model is in the context's own assembly, where EF Core looks.
        builder.UseSqlite(SqliteConnections.ConnectionString(sqliteFile, settings.SqliteReadOnly)).AddInterceptors(SqliteConnections.Pragmas);
        // Durable commits with the fsync outside the write lock (nothing to sync on a read-only data directory).
        return settings.SqliteReadOnly ? builder : builder.AddInterceptors(new SqliteGroupCommit(sqliteFile));
    }

    /// <summary>The registry metadata's context options for these settings.</summary>
    public static DbContextOptionsBuilder UseRegistryDatabase(this DbContextOptionsBuilder builder, DatabaseSettings settings, string dataDirectory) =>
        builder.UseWharfDatabase(settings, Path.Combine(dataDirectory, "registry.db"), RegistryPostgreSqlMigrations, RegistryHistoryTable);
}
