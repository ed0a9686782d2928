#pragma warning disable EF1001 // the providers' design-time services are what dotnet-ef itself loads
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;
using Wharf.Portal.Data;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>
/// The compiled models in the repository are what <c>dotnet ef dbcontext optimize</c> generates from today's model,
/// file for file, for each context and provider: a model change without them regenerated fails here (and would
/// otherwise run with the old model). The fix is <c>scripts/compile-models.sh</c>. Also checks that the server's
/// options pick each provider's own compiled model.
/// </summary>
public sealed partial class CompiledModelTests
{
    public static TheoryData<string> Models => ["registry-sqlite", "registry-postgresql", "portal-sqlite", "portal-postgresql"];

    private static DatabaseSettings Settings(bool postgreSql) => postgreSql
        ? new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = "Host=127.0.0.1;Database=unused" }
        : new DatabaseSettings();

    /// <summary>A context as the server configures it, where its compiled model lives, and that model's namespace.</summary>
    private static (DbContext Context, string Directory, string Namespace) Open(string model)
    {
        var postgreSql = model.EndsWith("-postgresql", StringComparison.Ordinal);
        if (model.StartsWith("registry", StringComparison.Ordinal))
        {
            var options = new DbContextOptionsBuilder<RegistryDbContext>();
            options.UseRegistryDatabase(Settings(postgreSql), Path.GetTempPath());
            return postgreSql
                ? (new RegistryDbContext(options.Options), "src/RegistryCore.PostgreSql/CompiledModels", "Wharf.Registry.PostgreSql.CompiledModels")
                : (new RegistryDbContext(options.Options), "src/RegistryCore/Metadata/CompiledModels", "Wharf.Registry.Metadata.CompiledModels");
        }
        var portal = new DbContextOptionsBuilder<PortalDbContext>();
        portal.UseWharfDatabase(Settings(postgreSql), Path.Combine(Path.GetTempPath(), "unused-portal.db"), PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);
        return postgreSql
            ? (new PortalDbContext(portal.Options), "src/Portal.Data.PostgreSql/CompiledModels", "Wharf.Portal.Data.PostgreSql.CompiledModels")
            : (new PortalDbContext(portal.Options), "src/Portal.Data/CompiledModels", "Wharf.Portal.Data.CompiledModels");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_compiled_model_is_what_the_generator_makes_of_the_model(string model)
    {
        var (context, directory, modelNamespace) = Open(model);
        using var _ = context;
        var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices().AddDbContextDesignTimeServices(context);
        if (context.Database.IsNpgsql()) new NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
        else new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
        var options = new CompiledModelCodeGenerationOptions
        {
            ContextType = context.GetType(),
            ModelNamespace = modelNamespace,
            Language = "C#",
            UseNullableReferenceTypes = true,
        };
        var generated = services.BuildServiceProvider().GetRequiredService<ICompiledModelCodeGeneratorSelector>().Select(options)
            .GenerateModel(context.GetService<IDesignTimeModel>().Model, options)
            .ToDictionary(f => f.Path, f => Normalize(f.Code));

        var root = Path.Combine(RepositoryRoot(), directory);
        var committed = Directory.GetFiles(root, "*.cs").ToDictionary(f => Path.GetFileName(f), f => Normalize(File.ReadAllText(f)));
        var stale = generated.Keys.Union(committed.Keys)
            .Where(file => !generated.TryGetValue(file, out var code) || !committed.TryGetValue(file, out var onDisk) || code != onDisk)
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(stale.Count == 0, $"the compiled {model} model in {directory} is stale ({string.Join(", ", stale)}): run scripts/compile-models.sh");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_server_uses_the_compiled_model_of_its_provider(string model)
    {
        var (context, _, modelNamespace) = Open(model);
        using var __ = context;
        Assert.Equal(modelNamespace, context.Model.GetType().Namespace);
    }

    /// <summary>The generator gives every model a new id; nothing else about it may differ.</summary>
    private static string Normalize(string code) => ModelId().Replace(code.TrimStart('\uFEFF'), "modelId: new Guid(\"…\")");

    [GeneratedRegex("""modelId: new Guid\("[0-9a-f-]{36}"\)""")]
    private static partial Regex ModelId();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (Portal.sln) was not found above " + AppContext.BaseDirectory);
    }
}
