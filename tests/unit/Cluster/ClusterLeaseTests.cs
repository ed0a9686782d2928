using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Cluster;

/// <summary>A lease has one holder at a time among everything sharing the metadata, and is free again once released.</summary>
public sealed class ClusterLeaseTests
{
    private static ClusterLeases Leases(TestDatabase database, string dataDirectory) => new(Options.Create(new RegistryOptions
    {
        DataDirectory = dataDirectory,
        Database = database.IsPostgreSql
            ? new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = database.ConnectionString }
            : new DatabaseSettings(),
    }));

    private static async Task HoldsExclusivelyAsync(TestDatabase database)
    {
        using var dir = new TempDirectory();
        // Two instances' views of the same metadata (each opens its own connection or file handle).
        var first = Leases(database, dir.Path);
        var second = Leases(database, dir.Path);

        var held = await first.TryAcquireAsync("gc", CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await second.TryAcquireAsync("gc", CancellationToken.None));
        await using (var other = await second.TryAcquireAsync("upload-purging", CancellationToken.None))
            Assert.NotNull(other); // another name is another lease

        await held!.DisposeAsync();
        await using var taken = await second.TryAcquireAsync("gc", CancellationToken.None);
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task Sqlite_lease_is_exclusive_until_released()
    {
        await HoldsExclusivelyAsync(TestDatabase.Sqlite);
    }

    [Fact]
    public async Task PostgreSql_lease_is_exclusive_until_released()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        await HoldsExclusivelyAsync(database);
    }
}
