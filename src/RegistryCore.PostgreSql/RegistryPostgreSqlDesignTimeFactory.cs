using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.PostgreSql;

/// <summary>
/// What <c>dotnet ef</c> uses to build the registry context for PostgreSQL migrations and the compiled model. Generating
/// either does not connect; <c>dotnet ef database update</c> would use WHARF_DESIGN_POSTGRESQL when it is set. The
/// options are the server's (<see cref="WharfDatabase"/>) but for the compiled model, which is what is being generated.
/// </summary>
public sealed class RegistryPostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RegistryDbContext>()
            .UseNpgsql(Environment.GetEnvironmentVariable("WHARF_DESIGN_POSTGRESQL") ?? "Host=localhost;Database=wharf_design",
                o => o.MigrationsAssembly(WharfDatabase.RegistryPostgreSqlMigrations).MigrationsHistoryTable(WharfDatabase.RegistryHistoryTable))
            .Options);
}
