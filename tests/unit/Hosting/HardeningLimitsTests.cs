using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wharf.Portal.Hosting;
using Wharf.Registry.Configuration;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>Connections are capped per client, and the databases are readable by Wharf's user only.</summary>
public sealed class HardeningLimitsTests
{
    [Fact]
    public void One_client_gets_at_most_its_share_of_connections_and_trusted_proxies_are_not_capped()
    {
        var proxy = IPAddress.Parse("10.0.0.5");
        var limiter = new ClientConnectionLimiter(3, ip => ip.Equals(proxy));
        var client = IPAddress.Parse("203.0.113.9");
        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(_ => limiter.TryEnter(client)).ToArray());
        Assert.True(limiter.TryEnter(IPAddress.Parse("203.0.113.10")));
        limiter.Leave(client);
        Assert.True(limiter.TryEnter(client));
        Assert.False(limiter.TryEnter(client));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(limiter.TryEnter(proxy)));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_databases_and_their_wal_files_are_owner_only()
    {
        // About SQLite's own files, so on SQLite whichever database the rest of the run uses.
        var host = new RegistryTestHost { ForceSqlite = true };
        await host.InitializeAsync();
        try
        {
            using var client = host.CreateClient();
            await client.PushBlobAsync("team/app", [1, 2, 3]);
            var directory = host.Services.GetRequiredService<IOptions<RegistryOptions>>().Value.ResolvedDataDirectory;
            // SQLite removes a write-ahead log when its last connection closes (background services open and close
            // theirs at any moment), so the test holds one open on each database while it reads the modes.
            var holders = new List<Microsoft.Data.Sqlite.SqliteConnection>();
            foreach (var name in new[] { "registry.db", "portal.db" })
            {
                var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, name)};Pooling=False");
                holders.Add(holder);
                await holder.OpenAsync();
                await using var read = holder.CreateCommand();
                read.CommandText = "SELECT count(*) FROM sqlite_master";
                await read.ExecuteScalarAsync();
            }
            var files = new[] { "registry.db", "portal.db" }
                .SelectMany(db => new[] { db, db + "-wal", db + "-shm" })
                .Select(f => Path.Combine(directory, f))
                .Where(File.Exists).ToList();
            Assert.Contains(files, f => f.EndsWith("registry.db-wal"));
            Assert.Contains(files, f => f.EndsWith("portal.db"));
            Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
            foreach (var holder in holders) await holder.DisposeAsync();
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
