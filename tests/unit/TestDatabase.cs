using Npgsql;

namespace Wharf.Tests.Unit;

/// <summary>
/// The database a test host runs on. <c>./test.sh</c> runs the unit suite twice: on SQLite, then with
/// <c>WHARF_TEST_DATABASE=postgresql</c> and <c>WHARF_TEST_POSTGRESQL</c> naming the superuser connection of the
/// private PostgreSQL cluster it started (scripts/postgresql-test-cluster.sh). On PostgreSQL every test host gets a
/// database of its own, dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _name;

    private TestDatabase(string? connectionString, string? name)
    {
        ConnectionString = connectionString;
        _name = name;
    }

    /// <summary>The PostgreSQL connection string, or null on SQLite.</summary>
    public string? ConnectionString { get; }

    public bool IsPostgreSql => ConnectionString is not null;

    /// <summary>True when this run of the suite is the PostgreSQL one.</summary>
    public static bool PostgreSqlRun =>
        string.Equals(Environment.GetEnvironmentVariable("WHARF_TEST_DATABASE"), "postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>SQLite: the data directory's files.</summary>
    public static TestDatabase Sqlite { get; } = new(null, null);

    /// <summary>The database of this run of the suite: SQLite (the data directory's files), or a fresh PostgreSQL database.</summary>
    /// <param name="keptFor">A directory whose Wharf state outlives one host (a restart): on PostgreSQL, every host
    /// started over it gets the same database, which is not dropped.</param>
    public static async Task<TestDatabase> ForThisRunAsync(string? keptFor = null) =>
        PostgreSqlRun ? await CreatePostgreSqlAsync(keptFor) : Sqlite;

    /// <summary>A fresh, empty PostgreSQL database; fails with a clear message when no PostgreSQL is there.</summary>
    public static async Task<TestDatabase> CreatePostgreSqlAsync(string? keptFor = null)
    {
        var admin = Environment.GetEnvironmentVariable("WHARF_TEST_POSTGRESQL");
        if (string.IsNullOrWhiteSpace(admin))
            throw new InvalidOperationException(
                "This test needs PostgreSQL: set WHARF_TEST_POSTGRESQL to a superuser connection string (./test.sh starts a private " +
                "PostgreSQL 15 cluster with scripts/postgresql-test-cluster.sh and sets it)");
        var name = keptFor is null
            ? $"wharf_{Guid.NewGuid():N}"
            : "wharf_kept_" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(keptFor)))[..24].ToLowerInvariant();
        try
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{name}'", connection);
            if (keptFor is not null && await exists.ExecuteScalarAsync() is not null)
                return new TestDatabase(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString, null);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL at WHARF_TEST_POSTGRESQL is not reachable or refused CREATE DATABASE: {e.Message}", e);
        }
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(builder.ConnectionString, keptFor is null ? name : null);
    }

    /// <summary>The setting that points a Wharf host at this database (none on SQLite).</summary>
    public IEnumerable<string> HostSettings =>
        IsPostgreSql ? ["--Wharf:Database:ConnectionString=" + ConnectionString] : [];

    public async ValueTask DisposeAsync()
    {
        if (_name is null) return;
        NpgsqlConnection.ClearAllPools();
        var admin = Environment.GetEnvironmentVariable("WHARF_TEST_POSTGRESQL")!;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
