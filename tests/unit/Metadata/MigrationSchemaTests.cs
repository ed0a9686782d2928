using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>The hand-written migrations must build exactly the schema the model describes.</summary>
public sealed class MigrationSchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private string CreateDatabase(string name, Action<DbContext> create)
    {
        var connectionString = $"Data Source={_dir.Combine(name)}";
        using var db = new RegistryDbContext(new DbContextOptionsBuilder<RegistryDbContext>().UseSqlite(connectionString).Options);
        create(db);
        return connectionString;
    }

    /// <summary>
    /// Every table's columns, indexes (with their columns) and foreign keys, one line each, then its CREATE statement
    /// (which alone shows collations and AUTOINCREMENT).
    /// </summary>
    internal static string DescribeSchema(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        var tables = Query(connection,
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('__EFMigrationsHistory', '__EFMigrationsLock') ORDER BY name",
            r => (Name: r.GetString(0), Sql: r.GetString(1)));
        var schema = new StringBuilder();
        foreach (var (table, sql) in tables)
        {
            schema.AppendLine($"table {table}");
            foreach (var column in Query(connection, $"PRAGMA table_info(\"{table}\")",
                         r => $"  column {r["cid"]} {r["name"]} {r["type"]} notnull={r["notnull"]} default={r["dflt_value"]} pk={r["pk"]}"))
                schema.AppendLine(column);
            var indexes = Query(connection, $"PRAGMA index_list(\"{table}\")", r => (Name: r.GetString(r.GetOrdinal("name")), Unique: r["unique"]));
            foreach (var (index, unique) in indexes.OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var columns = Query(connection, $"PRAGMA index_info(\"{index}\")", r => $"{r["name"]}");
                schema.AppendLine($"  index {index} unique={unique} ({string.Join(", ", columns)})");
            }
            foreach (var key in Query(connection, $"PRAGMA foreign_key_list(\"{table}\")",
                         r => $"  foreign key {r["from"]} -> {r["table"]}({r["to"]}) on update {r["on_update"]} on delete {r["on_delete"]}")
                         .Order(StringComparer.Ordinal))
                schema.AppendLine(key);
            // Whitespace normalised: a column added by ALTER TABLE is stored as ",\n"…, one made by CREATE TABLE as ",\n    "….
            schema.AppendLine(System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Replace(sql, @"\s*,\s*", ", "), @"\s+", " ").Replace(" )", ")").Replace("( ", "("));
        }
        return schema.ToString();
    }

    private static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    [Fact]
    public void Migrations_build_the_same_schema_as_the_model()
    {
        var migrated = DescribeSchema(CreateDatabase("migrated.db", db => db.Database.Migrate()));
        var created = DescribeSchema(CreateDatabase("created.db", db => db.Database.EnsureCreated()));

        Assert.Contains("table Repositories", created);
        Assert.Equal(created, migrated);
    }

    [Fact]
    public void Migrate_records_the_migration_and_is_repeatable()
    {
        var connectionString = CreateDatabase("migrated.db", db => db.Database.Migrate());
        CreateDatabase("migrated.db", db => db.Database.Migrate());

        using var db = new RegistryDbContext(new DbContextOptionsBuilder<RegistryDbContext>().UseSqlite(connectionString).Options);
        Assert.Equal(db.Database.GetMigrations(), db.Database.GetAppliedMigrations());
        Assert.Equal("20261123000000_InitialCreate", db.Database.GetAppliedMigrations().First());
        Assert.Empty(db.Database.GetPendingMigrations());
    }
}
