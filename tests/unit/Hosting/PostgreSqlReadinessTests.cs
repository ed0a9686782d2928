using System.Net;
using Npgsql;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>/readyz fails while the PostgreSQL database refuses connections (a load balancer then sends nothing to this instance) and recovers after.</summary>
public sealed class PostgreSqlReadinessTests
{
    [Fact]
    public async Task Readyz_fails_while_the_PostgreSQL_database_is_unreachable()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        await using var wharf = new RegistryTestHost { Settings = ["--Wharf:Database:ConnectionString=" + database.ConnectionString] };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();
        using (var ready = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        await AdminAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false");
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        try
        {
            using var notReady = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("\"database\":{\"status\":\"unhealthy\"", await notReady.Content.ReadAsStringAsync());
            using var alive = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true");
        }
        NpgsqlConnection.ClearAllPools(); // the pool's connections were cut; new ones get through again
        using (var again = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("WHARF_TEST_POSTGRESQL"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
