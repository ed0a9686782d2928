using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Wharf.Registry.Configuration;

namespace Wharf.Registry.Metadata;

/// <summary>
/// What <c>dotnet ef</c> uses to build the registry context for SQLite migrations (kept in this assembly, under
/// Metadata/Migrations); the PostgreSQL set has its own factory in Wharf.RegistryCore.PostgreSql.
/// </summary>
public sealed class RegistrySqliteDesignTimeFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<RegistryDbContext>();
        options.UseRegistryDatabase(new DatabaseSettings(), Path.GetTempPath());
        return new RegistryDbContext(options.Options);
    }
}
