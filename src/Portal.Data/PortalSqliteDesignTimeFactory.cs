using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Wharf.Portal.Data;

/// <summary>
/// What <c>dotnet ef</c> uses to build the portal context for SQLite migrations (kept in this assembly, under
/// Migrations); the PostgreSQL set has its own factory in Wharf.Portal.Data.PostgreSql.
/// </summary>
public sealed class PortalSqliteDesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite($"Data Source={Path.Combine(Path.GetTempPath(), "wharf-design-portal.db")}").Options);
}
