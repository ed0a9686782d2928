using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Whether a database has every migration this version of Wharf knows, read straight from the history table.
/// EF Core's <c>GetPendingMigrationsAsync</c> answers the same question but first builds a model of the history
/// table through the whole convention set, a noticeable share of a command's start (<c>wharf garbage-collect</c>);
/// one SELECT of the applied ids against the migration ids of the assembly costs next to nothing. Any doubt (no
/// history table yet, an unreadable one) answers "maybe pending", and the caller then asks EF Core as before.
/// </summary>
public static class MigrationHistory
{
    /// <summary>True only when the history table lists every migration of the assembly. The connection must be open.</summary>
    public static async Task<bool> IsUpToDateAsync(this DatabaseFacade database, CancellationToken cancellationToken)
    {
        var known = database.GetMigrations().ToList();
        if (known.Count == 0) return false;
        var options = RelationalOptionsExtension.Extract(database.GetService<IDbContextOptions>());
        var sql = database.GetService<ISqlGenerationHelper>();
        var table = sql.DelimitIdentifier(options.MigrationsHistoryTableName ?? HistoryRepository.DefaultTableName, options.MigrationsHistoryTableSchema);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var command = database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT {sql.DelimitIdentifier("MigrationId")} FROM {table}";
            command.Transaction = database.CurrentTransaction?.GetDbTransaction();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        }
        catch (DbException)
        {
            // Typically a new database without the history table: EF Core's own check decides.
            return false;
        }
        return known.All(applied.Contains);
    }
}
