using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>An existing database, made and filled by an older Wharf, upgrades to the latest schema with every row intact.</summary>
public sealed class MigrationUpgradeTests : IDisposable
{
    private const string FirstMigration = "20261123000000_InitialCreate";
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static RegistryDbContext Open(string connectionString) =>
        new(new DbContextOptionsBuilder<RegistryDbContext>().UseSqlite(connectionString).Options);

    [Fact]
    public void A_database_filled_under_the_first_migration_upgrades_to_the_latest_with_its_data_intact()
    {
        var connectionString = $"Data Source={_dir.Combine("registry.db")}";
        using (var db = Open(connectionString)) db.GetService<IMigrator>().Migrate(FirstMigration);
        // Filled by hand in the first schema's terms, as the Wharf of that schema wrote it.
        Execute(connectionString, """
            INSERT INTO "Repositories" ("Id", "Name", "CreatedAt") VALUES (1, 'team/app', '2026-11-23 10:00:00'), (2, 'team/tool', '2026-11-23 10:05:00');
            INSERT INTO "Blobs" ("Digest", "Size", "CreatedAt") VALUES
              ('sha256:1111111111111111111111111111111111111111111111111111111111111111', 512, '2026-11-23 10:00:01'),
              ('sha256:2222222222222222222222222222222222222222222222222222222222222222', 2048, '2026-11-23 10:00:02'),
              ('sha256:3333333333333333333333333333333333333333333333333333333333333333', 700, '2026-11-23 10:00:03');
            INSERT INTO "RepositoryBlobs" ("RepositoryId", "Digest", "LinkedAt") VALUES
              (1, 'sha256:1111111111111111111111111111111111111111111111111111111111111111', '2026-11-23 10:00:01'),
              (1, 'sha256:2222222222222222222222222222222222222222222222222222222222222222', '2026-11-23 10:00:02'),
              (2, 'sha256:2222222222222222222222222222222222222222222222222222222222222222', '2026-11-23 10:06:00');
            INSERT INTO "Manifests" ("Id", "RepositoryId", "Digest", "MediaType", "Size", "ArtifactType", "ConfigDigest", "SubjectDigest", "AnnotationsJson", "PushedAt", "LastPulledAt") VALUES
              (1, 1, 'sha256:3333333333333333333333333333333333333333333333333333333333333333', 'application/vnd.oci.image.manifest.v1+json', 700,
               'application/vnd.oci.image.config.v1+json', 'sha256:1111111111111111111111111111111111111111111111111111111111111111', NULL,
               '{"org.opencontainers.image.title":"app"}', '2026-11-23 10:00:03', '2026-11-24 08:00:00');
            INSERT INTO "ManifestReferences" ("ManifestId", "Ordinal", "Kind", "Digest", "MediaType", "Size", "Platform") VALUES
              (1, 0, 0, 'sha256:1111111111111111111111111111111111111111111111111111111111111111', 'application/vnd.oci.image.config.v1+json', 512, NULL),
              (1, 1, 1, 'sha256:2222222222222222222222222222222222222222222222222222222222222222', 'application/vnd.oci.image.layer.v1.tar+gzip', 2048, NULL);
            INSERT INTO "Tags" ("RepositoryId", "Name", "ManifestDigest", "UpdatedAt") VALUES
              (1, 'latest', 'sha256:3333333333333333333333333333333333333333333333333333333333333333', '2026-11-23 10:00:03'),
              (1, '1.0', 'sha256:3333333333333333333333333333333333333333333333333333333333333333', '2026-11-23 10:00:04');
            INSERT INTO "UploadSessions" ("Id", "RepositoryId", "StartedAt", "UpdatedAt") VALUES
              ('6f1c2d4e-0000-4000-8000-000000000001', 2, '2026-11-23 11:00:00', '2026-11-23 11:30:00');
            """);
        var tables = Query(connectionString,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EF%' ORDER BY name", r => r.GetString(0));
        Assert.Equal(7, tables.Count);
        var columns = tables.ToDictionary(t => t, t => Query(connectionString, $"SELECT name FROM pragma_table_info('{t}')", r => r.GetString(0)));
        var before = tables.ToDictionary(t => t, t => Dump(connectionString, t, columns[t]));

        using (var db = Open(connectionString)) db.Database.Migrate();

        // Every old row, every old column, as it was (later migrations may add columns beside them). Open upload
        // sessions are the exception: 20261222000000_StatelessUploadSessions drops them when it moves all their state
        // into their rows (they never acknowledged a blob; their clients start again).
        foreach (var table in tables.Where(t => t != "UploadSessions")) Assert.Equal(before[table], Dump(connectionString, table, columns[table]));
        Assert.Equal([0L], Query(connectionString, "SELECT COUNT(*) FROM \"UploadSessions\"", r => r.GetInt64(0)));
        using var upgraded = Open(connectionString);
        Assert.Equal(upgraded.Database.GetMigrations(), upgraded.Database.GetAppliedMigrations());
        Assert.Contains("20261201000000_GarbageCollectionRuns", upgraded.Database.GetAppliedMigrations());
        // The old rows read back through today's model...
        var manifest = upgraded.Manifests.Include(m => m.References).Single();
        Assert.Equal((1L, 2, new DateTime(2026, 11, 24, 8, 0, 0)), (manifest.RepositoryId, manifest.References.Count, manifest.LastPulledAt!.Value));
        Assert.Equal(["1.0", "latest"], upgraded.Tags.OrderBy(t => t.Name).Select(t => t.Name).ToList());
        // ...and the new tables take rows next to them (and lose a run's items with the run).
        var run = new GcRunRecord { Mode = GcMode.Preview, State = GcRunState.Completed, StartedAt = DateTime.UtcNow, EligibleBlobs = 1 };
        upgraded.GcRuns.Add(run);
        upgraded.SaveChanges();
        upgraded.GcItems.Add(new GcItemRecord { RunId = run.Id, Ordinal = 0, Kind = GcItemKind.Blob, Digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222", Size = 2048, Repositories = "team/app,team/tool" });
        upgraded.SaveChanges();
        upgraded.GcRuns.Where(r => r.Id == run.Id).ExecuteDelete();
        Assert.Empty(upgraded.GcItems.ToList());
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Every row of a table, every column as stored, in a stable order.</summary>
    private static List<string> Dump(string connectionString, string table, IEnumerable<string> columns) =>
        Query(connectionString, $"SELECT {string.Join(", ", columns.Select(c => $"\"{c}\""))} FROM \"{table}\" ORDER BY 1, 2",
            r => string.Join(" | ", Enumerable.Range(0, r.FieldCount).Select(i => $"{r.GetName(i)}={(r.IsDBNull(i) ? "NULL" : r.GetValue(i))}")));

    private static List<T> Query<T>(string connectionString, string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }
}
