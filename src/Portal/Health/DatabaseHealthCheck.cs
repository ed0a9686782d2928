using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Health;

/// <summary>
/// The registry's metadata database answers a query. On SQLite the check opens its own unpooled connection, so a
/// database file that became unreadable fails here even while pooled connections still hold it open.
/// </summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<RegistryDbContext> contexts, HealthMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (db.Database.IsSqlite())
            {
                var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false };
                // Never create a database here; one on a read-only data directory stays read-only.
                if (builder.Mode != SqliteOpenMode.ReadOnly) builder.Mode = SqliteOpenMode.ReadWrite;
                await using var connection = new SqliteConnection(builder.ToString());
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM sqlite_master";
                await command.ExecuteScalarAsync(cancellationToken);
            }
            else if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("registry database unreachable");
            }
            metrics.Database(Stopwatch.GetElapsedTime(started));
            return HealthCheckResult.Healthy("registry database reachable");
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
        {
            return HealthCheckResult.Unhealthy($"registry database unreachable: {e.Message}");
        }
    }
}
