using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Wharf.Portal.Data;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>The portal database's hand-written migrations build exactly the schema its model describes.</summary>
public sealed class PortalMigrationSchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private PortalDbContext Open(string name) =>
        new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite($"Data Source={_dir.Combine(name)}").Options);

    [Fact]
    public void Migrations_build_the_same_schema_as_the_model()
    {
        using (var db = Open("migrated.db")) db.Database.Migrate();
        using (var db = Open("created.db")) db.Database.EnsureCreated();

        var migrated = MigrationSchemaTests.DescribeSchema($"Data Source={_dir.Combine("migrated.db")}");
        var created = MigrationSchemaTests.DescribeSchema($"Data Source={_dir.Combine("created.db")}");
        Assert.Contains("table AccessTokens", created);
        Assert.Contains("table RepositoryGrants", created);
        Assert.Equal(created, migrated);
    }

    [Fact]
    public void A_database_of_the_first_portal_schema_upgrades_and_keeps_its_users()
    {
        using (var db = Open("old.db"))
        {
            db.Database.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().Migrate("20261123000000_InitialPortal");
            db.Database.ExecuteSqlRaw("""
                INSERT INTO "AspNetUsers" ("Id", "Disabled", "CreatedAt", "UserName", "NormalizedUserName", "EmailConfirmed",
                    "PhoneNumberConfirmed", "TwoFactorEnabled", "LockoutEnabled", "AccessFailedCount")
                VALUES ('u1', 0, '2026-11-23 00:00:00', 'admin', 'ADMIN', 0, 0, 0, 1, 0)
                """);
        }
        using (var db = Open("old.db"))
        {
            Assert.Contains("20261215000000_RegistryAccess", db.Database.GetPendingMigrations());
            db.Database.Migrate();
            Assert.Empty(db.Database.GetPendingMigrations());
            Assert.Equal("admin", db.Users.Single().UserName);
            Assert.Empty(db.RepositoryGrants);
        }
    }
}
