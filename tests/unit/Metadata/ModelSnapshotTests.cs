using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Data;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>
/// Each provider's migrations carry a model snapshot (dotnet-ef generates the next migration from it). A model change
/// without its migrations on both providers fails here; docs/development.md gives the commands.
/// </summary>
public sealed class ModelSnapshotTests
{
    private static DatabaseSettings Settings(DatabaseProvider provider) => provider == DatabaseProvider.PostgreSql
        ? new DatabaseSettings { Provider = provider, ConnectionString = "Host=127.0.0.1;Database=unused" }
        : new DatabaseSettings();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public void Registry_migrations_match_the_model(DatabaseProvider provider)
    {
        var options = new DbContextOptionsBuilder<RegistryDbContext>();
        options.UseRegistryDatabase(Settings(provider), Path.GetTempPath());
        using var db = new RegistryDbContext(options.Options);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), $"the registry model changed without a {provider} migration");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public void Portal_migrations_match_the_model(DatabaseProvider provider)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        options.UseWharfDatabase(Settings(provider), Path.Combine(Path.GetTempPath(), "unused-portal.db"), PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);
        using var db = new PortalDbContext(options.Options);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), $"the portal model changed without a {provider} migration");
    }

    /// <summary>On PostgreSQL both contexts share one database: their tables must not collide.</summary>
    [Fact]
    public void Registry_and_portal_tables_do_not_collide()
    {
        var registryOptions = new DbContextOptionsBuilder<RegistryDbContext>();
        registryOptions.UseRegistryDatabase(Settings(DatabaseProvider.PostgreSql), ".");
        var portalOptions = new DbContextOptionsBuilder<PortalDbContext>();
        portalOptions.UseWharfDatabase(Settings(DatabaseProvider.PostgreSql), "unused", PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);
        using var registry = new RegistryDbContext(registryOptions.Options);
        using var portal = new PortalDbContext(portalOptions.Options);
        var registryTables = registry.Model.GetEntityTypes().Select(t => t.GetTableName()).Append(WharfDatabase.RegistryHistoryTable).ToHashSet();
        var portalTables = portal.Model.GetEntityTypes().Select(t => t.GetTableName()).Append(PortalDatabase.HistoryTable).ToHashSet();
        Assert.Empty(registryTables.Intersect(portalTables));
    }
}
