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

    private static async Task FetchLeaseWaitsForItsHolderAsync(TestDatabase database)
    {
        using var dir = new TempDirectory();
        var first = Leases(database, dir.Path);
        var second = Leases(database, dir.Path);
        const string blob = "up/library/app@sha256:" + "ab12";

        var held = await first.AcquireFetchAsync(blob, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.NotNull(held);
        // Taken: a wait that runs out gives no lease.
        Assert.Null(await second.AcquireFetchAsync(blob, TimeSpan.FromMilliseconds(100), CancellationToken.None));
        // The fetch leases are not the schedules' leases.
        await using (var gc = await second.TryAcquireAsync("gc", CancellationToken.None)) Assert.NotNull(gc);

        var waiter = second.AcquireFetchAsync(blob, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.False(waiter.IsCompleted);
        await held!.DisposeAsync();
        await using var taken = await waiter;
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task Sqlite_fetch_lease_waits_for_its_holder()
    {
        await FetchLeaseWaitsForItsHolderAsync(TestDatabase.Sqlite);
    }

    [Fact]
    public async Task PostgreSql_fetch_lease_waits_for_its_holder()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        await FetchLeaseWaitsForItsHolderAsync(database);
    }

    /// <summary>An instance that dies holding a lease loses it with its connection, and a waiter on another takes it.</summary>
    [Fact]
    public async Task PostgreSql_fetch_lease_of_a_holder_whose_connection_died_is_taken_over()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        using var dir = new TempDirectory();
        var first = Leases(database, dir.Path);
        var second = Leases(database, dir.Path);
        const string blob = "up/library/app@sha256:cd34";

        var held = await first.AcquireFetchAsync(blob, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.NotNull(held);
        var waiter = second.AcquireFetchAsync(blob, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.False(waiter.IsCompleted);

        // What the kernel does to the connection of a process killed with SIGKILL: the server side ends.
        await using (var admin = new Npgsql.NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand(
                "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1466459749 " +
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())", admin);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }
        await using var taken = await waiter;
        Assert.NotNull(taken);
        await held!.DisposeAsync(); // the dead holder's release finds its connection gone and says nothing
    }
}
