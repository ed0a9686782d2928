using Microsoft.EntityFrameworkCore;
using Npgsql;
using Wharf.Portal.Data;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Hosting;

/// <summary>
/// <c>wharf copy-to-postgresql [config.yml]</c> with <c>WHARF_TARGET_DATABASE</c> (an Npgsql connection string, kept
/// out of the process list): copies a SQLite deployment's registry metadata and portal data into an empty PostgreSQL
/// database, says what it copied, and refuses a target that has any table. Blobs stay in the store; afterwards start
/// Wharf with that database (database.enabled or Wharf__Database__ConnectionString) over the same store and data
/// directory (its Data Protection keys still decrypt the upstream passwords).
/// </summary>
public static class CopyToPostgreSqlCommand
{
    public const string TargetVariable = "WHARF_TARGET_DATABASE";

    public static async Task<int> RunAsync(RegistryOptions options, string? target, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (options.Database.IsPostgreSql)
        {
            await error.WriteLineAsync("wharf copy-to-postgresql: the configured database is already PostgreSQL; run it with the SQLite deployment's configuration");
            return 2;
        }
        if (string.IsNullOrWhiteSpace(target))
        {
            await error.WriteLineAsync($"wharf copy-to-postgresql: set {TargetVariable} to the empty PostgreSQL database's connection string");
            return 2;
        }
        var registryFile = Path.Combine(options.ResolvedDataDirectory, "registry.db");
        if (!File.Exists(registryFile))
        {
            await error.WriteLineAsync($"wharf copy-to-postgresql: no SQLite metadata at {registryFile}");
            return 2;
        }
        var targetSettings = new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = target, Source = TargetVariable };
        var tables = await CountTablesAsync(target, cancellationToken);
        if (tables > 0)
        {
            await error.WriteLineAsync($"wharf copy-to-postgresql: {targetSettings} is not empty ({tables} tables); copy into an empty database");
            return 1;
        }

        var sqlite = new DatabaseSettings();
        RegistryDbContext Registry(DatabaseSettings settings)
        {
            var builder = new DbContextOptionsBuilder<RegistryDbContext>();
            builder.UseRegistryDatabase(settings, options.ResolvedDataDirectory);
            return new RegistryDbContext(builder.Options);
        }
        PortalDbContext Portal(DatabaseSettings settings)
        {
            var builder = new DbContextOptionsBuilder<PortalDbContext>();
            builder.UseWharfDatabase(settings, Path.Combine(options.ResolvedDataDirectory, "portal.db"), PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);
            return new PortalDbContext(builder.Options);
        }

        // Both sides at the latest schema: the source as this release would upgrade it, the target created.
        await using (var registrySource = Registry(sqlite)) await registrySource.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
        await using (var portalSource = Portal(sqlite)) await portalSource.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
        await using (var registryTarget = Registry(targetSettings)) await registryTarget.Database.MigrateAsync(cancellationToken);
        await using (var portalTarget = Portal(targetSettings)) await portalTarget.Database.MigrateAsync(cancellationToken);

        await output.WriteLineAsync($"copying into {targetSettings}");
        await using (var source = Registry(sqlite))
            await ReportAsync("registry", await DatabaseCopier.CopyAsync(source, () => Registry(targetSettings), cancellationToken), output);
        await using (var source = Portal(sqlite))
            await ReportAsync("portal", await DatabaseCopier.CopyAsync(source, () => Portal(targetSettings), cancellationToken), output);
        await output.WriteLineAsync("done; start Wharf with this database over the same store and data directory");
        return 0;
    }

    private static async Task ReportAsync(string part, List<CopiedTable> tables, TextWriter output)
    {
        foreach (var table in tables) await output.WriteLineAsync($"{part}: {table.Table}: {table.Rows} rows");
    }

    private static async Task<long> CountTablesAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
