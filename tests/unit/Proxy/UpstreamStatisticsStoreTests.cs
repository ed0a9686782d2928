using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Registry.Metadata;
using Wharf.Registry.Proxy;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>The pull-through statistics survive a restart: restored from the registry database, added to on each flush.</summary>
public sealed class UpstreamStatisticsStoreTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    /// <summary>Another process's statistics over the same database (what a restart, or a second instance, starts with).</summary>
    private (UpstreamStatistics Statistics, UpstreamStatisticsStore Store) Fresh()
    {
        var statistics = new UpstreamStatistics(_host.Services.GetRequiredService<IMeterFactory>(), TimeProvider.System);
        var store = new UpstreamStatisticsStore(statistics, _host.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>(), TimeProvider.System,
            NullLogger<UpstreamStatisticsStore>.Instance);
        return (statistics, store);
    }

    [Fact]
    public async Task Counters_and_the_last_outcomes_are_restored_after_a_restart()
    {
        var (before, store) = Fresh();
        before.Hit("hub", 1000);
        before.Hit("hub", 500);
        before.Miss("hub");
        before.Fetched("hub", 4096);
        before.Stale("hub");
        before.Failed("hub", "connection refused", reachable: false);
        await store.FlushAsync(default);

        var (after, restarted) = Fresh();
        await restarted.RestoreAsync(default);
        var stats = after.Get("hub");
        Assert.Equal((2L, 1L, 1L, 1500L, 4096L, 1L), (stats.CacheHits, stats.CacheMisses, stats.Fetches, stats.BytesFromCache, stats.BytesFetched, stats.StaleServes));
        Assert.False(stats.Reachable);
        Assert.Equal("connection refused", stats.LastError);
        Assert.NotNull(stats.LastErrorAt);
        // Nothing new was counted: nothing to write.
        Assert.Empty(after.Unflushed());
    }

    [Fact]
    public async Task Each_flush_adds_only_what_was_counted_since_so_instances_add_up()
    {
        var (first, firstStore) = Fresh();
        var (second, secondStore) = Fresh();
        first.Hit("mirror", 10);
        second.Hit("mirror", 20);
        await firstStore.FlushAsync(default);
        await secondStore.FlushAsync(default);
        first.Hit("mirror", 30);
        await firstStore.FlushAsync(default);
        await firstStore.FlushAsync(default);

        await using var db = await _host.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync();
        var row = await db.Set<UpstreamStatisticsRecord>().SingleAsync(r => r.Upstream == "mirror");
        Assert.Equal(3, row.CacheHits);
        Assert.Equal(60, row.BytesFromCache);
    }
}
