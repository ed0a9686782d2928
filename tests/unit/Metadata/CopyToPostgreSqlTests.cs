using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wharf.Portal.Data;
using Wharf.Portal.Hosting;
using Wharf.Registry.Configuration;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Metadata;

/// <summary>
/// <c>wharf copy-to-postgresql</c> moves a populated SQLite deployment into an empty PostgreSQL database: every row
/// of every table (tags, users, grants, audit entries among them) arrives as it was; a non-empty target is refused.
/// </summary>
public sealed class CopyToPostgreSqlTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new() { ForceSqlite = true };

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task PopulateAsync()
    {
        using var client = _host.CreateClient();
        foreach (var (repository, tags) in new[] { ("team/app", new[] { "1.0", "1.1", "latest" }), ("team/tool", new[] { "v2", "Zeta", "alpha" }) })
        {
            var image = TestContent.Image(repository);
            foreach (var tag in tags) await client.PushImageAsync(repository, tag, image);
        }
        await using var scope = _host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        foreach (var name in new[] { "alice", "bob", "carol" })
            Assert.True((await users.CreateAsync(new PortalUser { UserName = name }, $"{name} has a long password")).Succeeded);
        var portal = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        portal.RepositoryGrants.AddRange(
            new RepositoryGrant { RepositoryPrefix = "team/", SubjectKind = GrantSubjectKind.User, Subject = "alice", Actions = "pull,push", CreatedAt = DateTime.UtcNow, CreatedBy = "admin" },
            new RepositoryGrant { RepositoryPrefix = "public/", SubjectKind = GrantSubjectKind.Anonymous, Actions = "pull", CreatedAt = DateTime.UtcNow });
        for (var i = 0; i < 2500; i++) // more than one copy batch
            portal.AuditEntries.Add(new AuditEntry { Timestamp = DateTime.UtcNow.AddSeconds(-i), Actor = $"user{i % 7}", Action = "push", Repository = "team/app", Outcome = AuditOutcome.Success, Detail = $"entry {i}" });
        await portal.SaveChangesAsync();
    }

    [Fact]
    public async Task Every_row_of_both_databases_arrives_and_a_second_copy_is_refused()
    {
        await PopulateAsync();
        await using var target = await TestDatabase.CreatePostgreSqlAsync();
        var options = _host.Services.GetRequiredService<IOptions<RegistryOptions>>().Value;
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CopyToPostgreSqlCommand.RunAsync(options, target.ConnectionString, output, error, CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        Assert.Matches(@"portal: AuditEntries: 25\d\d rows", output.ToString()); // ours and the pushes' own
        Assert.Contains("registry: Tags: 6 rows", output.ToString());
        var postgreSql = new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = target.ConnectionString };
        await using (var source = Registry(options, new DatabaseSettings()))
        await using (var copy = Registry(options, postgreSql))
            AssertSameRows(source, copy);
        await using (var source = Portal(options, new DatabaseSettings()))
        await using (var copy = Portal(options, postgreSql))
        {
            AssertSameRows(source, copy);
            Assert.Equal(["alice", "bob", "carol"], copy.Users.Select(u => u.UserName!).OrderBy(n => n).ToList());
            // The copied keys do not collide with the next row PostgreSQL numbers itself.
            copy.AuditEntries.Add(new AuditEntry { Timestamp = DateTime.UtcNow, Actor = "admin", Action = "moved", Outcome = AuditOutcome.Success });
            await copy.SaveChangesAsync();
        }
        // Tags list in the same bytewise order on both.
        await using (var copy = Registry(options, postgreSql))
            Assert.Equal(["Zeta", "alpha", "v2"], copy.Tags.Where(t => t.RepositoryId == copy.Repositories.Single(r => r.Name == "team/tool").Id)
                .OrderBy(t => t.Name).Select(t => t.Name).ToList());

        var again = await CopyToPostgreSqlCommand.RunAsync(options, target.ConnectionString, new StringWriter(), error, CancellationToken.None);
        Assert.Equal(1, again);
        Assert.Contains("is not empty", error.ToString());
    }

    private static RegistryDbContext Registry(RegistryOptions options, DatabaseSettings settings)
    {
        var builder = new DbContextOptionsBuilder<RegistryDbContext>();
        builder.UseRegistryDatabase(settings, options.ResolvedDataDirectory);
        return new RegistryDbContext(builder.Options);
    }

    private static PortalDbContext Portal(RegistryOptions options, DatabaseSettings settings)
    {
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        builder.UseWharfDatabase(settings, Path.Combine(options.ResolvedDataDirectory, "portal.db"), PortalDatabase.PostgreSqlMigrations, PortalDatabase.HistoryTable);
        return new PortalDbContext(builder.Options);
    }

    /// <summary>Every table of the model holds the same rows on both sides, every column's value compared.</summary>
    private static void AssertSameRows(DbContext source, DbContext copy)
    {
        var rows = typeof(CopyToPostgreSqlTests).GetMethod(nameof(Rows), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var type in source.Model.GetEntityTypes().Where(t => t.GetTableName() is not null && !DatabaseCopier.NotCopied.Contains(t.ClrType)))
        {
            var expected = (List<string>)rows.MakeGenericMethod(type.ClrType).Invoke(null, [source])!;
            var actual = (List<string>)rows.MakeGenericMethod(type.ClrType).Invoke(null, [copy])!;
            Assert.True(expected.SequenceEqual(actual), $"{type.GetTableName()}: {expected.Count} rows in SQLite, {actual.Count} in PostgreSQL, or different values");
        }
    }

    private static List<string> Rows<T>(DbContext context) where T : class =>
        context.Set<T>().AsNoTracking().AsEnumerable().Select(row => string.Join("|", context.Entry(row).Properties
                .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p => Text(p.CurrentValue))))
            .Order(StringComparer.Ordinal).ToList();

    private static string Text(object? value) => value switch
    {
        null => "null",
        // PostgreSQL keeps times to the microsecond, .NET to a tenth of one.
        DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc).AddTicks(-(time.Ticks % 10)).ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset offset => offset.ToUniversalTime().AddTicks(-(offset.Ticks % 10)).ToString("O", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
