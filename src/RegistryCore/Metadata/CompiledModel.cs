using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Wharf.Registry.Metadata;

/// <summary>
/// The EF Core models generated ahead of time (<c>dotnet ef dbcontext optimize</c>, run by scripts/add-migration.sh),
/// so that neither the server nor a command builds a model through EF Core's conventions at start, a large share of
/// <c>wharf garbage-collect</c>'s start. Each provider has its own: the model differs (column types, collations),
/// so each lives beside that provider's migrations. EF Core finds a SQLite model by itself (it is in the context's
/// own assembly); a PostgreSQL model is in the PostgreSQL migrations assembly, named like those migrations, and must
/// be named here, or EF Core would take the SQLite one. tests/unit/Metadata/CompiledModelTests fails when one is stale.
/// </summary>
public static class CompiledModel
{
    private static readonly ConcurrentDictionary<(Type, string), IModel> Models = new();

    /// <summary>The compiled model of <paramref name="contextType"/> in the assembly named <paramref name="assemblyName"/>.</summary>
    /// <exception cref="InvalidOperationException">The assembly has none (it was not generated).</exception>
    public static IModel Find(Type contextType, string assemblyName) => Models.GetOrAdd((contextType, assemblyName), static key =>
    {
        var (type, name) = key;
        var attribute = Assembly.Load(new AssemblyName(name)).GetCustomAttributes<DbContextModelAttribute>().SingleOrDefault(a => a.ContextType == type)
            ?? throw new InvalidOperationException($"{name} has no compiled model of {type.Name}: run scripts/add-migration.sh's optimize step (docs/development.md)");
        return (IModel)attribute.ModelType.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    });
}
