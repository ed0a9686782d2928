using Npgsql;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A fresh database on the private PostgreSQL cluster <c>./test.sh</c> starts (scripts/postgresql-test-cluster.sh;
/// its superuser connection string in <c>WHARF_TEST_POSTGRESQL</c>), dropped at dispose.
/// </summary>
public sealed class PostgreSqlDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private PostgreSqlDatabase(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<PostgreSqlDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable("WHARF_TEST_POSTGRESQL");
        if (string.IsNullOrWhiteSpace(admin))
            throw new InvalidOperationException(
                "This test needs PostgreSQL: set WHARF_TEST_POSTGRESQL to a superuser connection string (./test.sh starts a private " +
                "PostgreSQL 15 cluster with scripts/postgresql-test-cluster.sh and sets it)");
        var database = new PostgreSqlDatabase(admin, $"wharf_e2e_{Guid.NewGuid():N}");
        await database.ExecuteAsync(admin, $"CREATE DATABASE \"{database.Name}\" TEMPLATE template0 ENCODING 'UTF8'");
        return database;
    }

    /// <summary>The first column of the first row of a query on this database.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every row of a one-column query, as text.</summary>
    public async Task<List<string>> ColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }

    private async Task ExecuteAsync(string connectionString, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL at WHARF_TEST_POSTGRESQL refused '{sql}': {e.Message}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }
}
