using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.PostgreSql;

/// <summary>
/// What <c>dotnet ef</c> uses to build the registry context for PostgreSQL migrations. Generating a migration does
/// not connect; <c>dotnet ef database update</c> would use WHARF_DESIGN_POSTGRESQL when it is set.
/// </summary>
public sealed class RegistryPostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args)
    {
        var settings = new DatabaseSettings
        {
            Provider = DatabaseProvider.PostgreSql,
            ConnectionString = Environment.GetEnvironmentVariable("WHARF_DESIGN_POSTGRESQL") ?? "Host=localhost;Database=wharf_design",
        };
        var options = new DbContextOptionsBuilder<RegistryDbContext>();
        options.UseRegistryDatabase(settings, ".");
        return new RegistryDbContext(options.Options);
    }
}
