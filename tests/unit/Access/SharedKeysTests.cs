using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Data;
using Wharf.Portal.Upstreams;
using Wharf.Registry.Auth;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>
/// The keys every instance must share live in the portal database: two instances on one PostgreSQL database, each
/// with a data directory of its own, accept each other's registry tokens and read each other's encrypted upstream
/// passwords. A data directory of an earlier release, which kept the keys in files, keeps its tokens and passwords.
/// </summary>
public sealed class SharedKeysTests
{
    private static string Scope(string repository, string actions) => $"repository:{repository}:{actions}";

    [Fact]
    public async Task Two_instances_on_one_database_accept_each_others_tokens_and_read_each_others_upstream_passwords()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        var shared = "--Wharf:Database:ConnectionString=" + database.ConnectionString;
        await using var first = new AccessHost("token", shared);
        await first.InitializeAsync();
        await using var second = new AccessHost("token", shared);
        await second.InitializeAsync();
        Assert.NotEqual(first.Host.RootDirectory, second.Host.RootDirectory);

        foreach (var (issuer, checker) in new[] { (first, second), (second, first) })
        {
            var token = await issuer.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/app", "pull,push"));
            using var client = checker.ClientWith(AccessHost.Bearer(token));
            using var response = await client.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await SaveUpstreamAsync(first, "one", "secret-of-one");
        await SaveUpstreamAsync(second, "two", "secret-of-two");
        foreach (var host in new[] { first, second })
        {
            var source = host.Services.GetRequiredService<PortalUpstreamSource>();
            source.Reload();
            var passwords = source.GetUpstreams().ToDictionary(u => u.Name, u => u.Password);
            Assert.Equal("secret-of-one", passwords["one"]);
            Assert.Equal("secret-of-two", passwords["two"]);
        }

        // One key ring and one signing key for both.
        await using var scope = first.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Single(await db.SigningKeys.ToListAsync());
        Assert.Single(await db.DataProtectionKeys.ToListAsync());
    }

    [Fact]
    public async Task Keys_an_earlier_release_kept_in_the_data_directory_are_moved_into_the_database()
    {
        var root = Path.Combine(Path.GetTempPath(), "wharf-keys-" + Guid.NewGuid().ToString("N"));
        var dataDirectory = Path.Combine(root, "wharf");
        // What an earlier release left: a file key ring and a key file, and a password and a token made with them.
        var earlier = DataProtectionProvider.Create(new DirectoryInfo(Path.Combine(dataDirectory, "keys")), b => b.SetApplicationName("Wharf"));
        var protectedPassword = earlier.CreateProtector(PortalUpstreamSource.PasswordPurpose).Protect("kept-secret");
        var earlierTokens = new RegistryTokens(new AccessSettings(), dataDirectory, TimeProvider.System);

        await using var host = new AccessHost("token", "--registry:storage:filesystem:rootdirectory=" + root);
        await host.InitializeAsync();
        try
        {
            var protection = host.Services.GetRequiredService<IDataProtectionProvider>();
            Assert.Equal("kept-secret", protection.CreateProtector(PortalUpstreamSource.PasswordPurpose).Unprotect(protectedPassword));
            string admin;
            await using (var scope = host.Services.CreateAsyncScope())
                admin = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Users.Where(u => u.UserName == AccessHost.AdminUser).Select(u => u.Id).SingleAsync();
            var token = earlierTokens.IssueAccess(new RegistryIdentity(admin, AccessHost.AdminUser, ["Admin"]), []).Token;
            using var client = host.ClientWith(AccessHost.Bearer(token));
            using var response = await client.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task SaveUpstreamAsync(AccessHost host, string name, string password)
    {
        var refused = await host.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<UpstreamAdministration>().SaveAsync(p,
            new UpstreamInput { Name = name, Prefix = name, Url = "https://" + name + ".example", Username = "robot", Password = password }, default));
        Assert.Null(refused);
    }
}
