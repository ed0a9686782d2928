using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Wharf.Portal.Data.PostgreSql;

/// <summary>
/// What <c>dotnet ef</c> uses to build the portal context for PostgreSQL migrations. Generating a migration does not
/// connect; <c>dotnet ef database update</c> would use WHARF_DESIGN_POSTGRESQL when it is set.
/// </summary>
public sealed class PortalPostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PortalDbContext>()
            .UseNpgsql(Environment.GetEnvironmentVariable("WHARF_DESIGN_POSTGRESQL") ?? "Host=localhost;Database=wharf_design",
                o => o.MigrationsAssembly(PortalDatabase.PostgreSqlMigrations).MigrationsHistoryTable(PortalDatabase.HistoryTable))
            .Options);
}
