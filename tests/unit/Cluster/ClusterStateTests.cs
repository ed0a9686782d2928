using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry;
using Wharf.Registry.Cluster;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Wharf.Tests.Unit.Gc;
using Xunit;

namespace Wharf.Tests.Unit.Cluster;

/// <summary>
/// What instances sharing the metadata (SQLite: one data directory; PostgreSQL: one database, in the suite's
/// PostgreSQL run) see of each other: their registrations and health, and a schedule's period claimed once.
/// </summary>
public sealed class ClusterStateTests : IAsyncLifetime
{
    private RegistryTestHost _first = null!;
    private RegistryTestHost _second = null!;

    public async Task InitializeAsync()
    {
        string[] settings = [GcTestSupport.NoGrace, "--Wharf:GarbageCollection:ProgressInterval=00:00:00.050"];
        _first = new RegistryTestHost { Settings = settings };
        await _first.InitializeAsync();
        _second = new RegistryTestHost
        {
            Settings =
            [
                .. settings,
                "--registry:storage:filesystem:rootdirectory=" + _first.RootDirectory,
                "--Wharf:DataDirectory=" + Path.Combine(_first.RootDirectory, "wharf"),
                .. _first.Database.HostSettings,
            ],
        };
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task Instances_register_show_their_health_and_deregister_when_they_stop()
    {
        var instances = _first.Services.GetRequiredService<ClusterInstances>();
        var firstId = _first.Services.GetRequiredService<ThisInstance>().Id;
        var secondId = _second.Services.GetRequiredService<ThisInstance>().Id;
        Assert.NotEqual(firstId, secondId);
        await WaitUntilAsync(async () => (await instances.ListAsync(default)).Count == 2);

        var listed = await instances.ListAsync(default);
        Assert.All(listed, i => Assert.Equal(InstanceHealth.Healthy, i.Health));
        Assert.True(listed.Single(i => i.Id == firstId).IsThisInstance);
        Assert.False(listed.Single(i => i.Id == secondId).IsThisInstance);

        // An instance whose heartbeat stopped (a hung process, or one cut off from the database) is shown as silent.
        await using (var db = await _first.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync())
            await db.ClusterInstances.Where(i => i.Id == secondId).ExecuteUpdateAsync(s => s.SetProperty(i => i.LastHeartbeatAt, DateTime.UtcNow.AddMinutes(-5)));
        Assert.Equal(InstanceHealth.Silent, (await instances.ListAsync(default)).Single(i => i.Id == secondId).Health);

        await _second.App.StopAsync();
        Assert.Equal([firstId], (await instances.ListAsync(default)).Select(i => i.Id));
    }

    [Fact]
    public async Task A_schedule_period_is_claimed_by_one_instance_only()
    {
        var time = new ManualTime(new DateTimeOffset(2027, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var first = new ScheduleClaims(_first.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>(), time);
        var second = new ScheduleClaims(_second.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>(), time);
        var period = TimeSpan.FromHours(1);

        Assert.True(await first.TryClaimAsync("test-schedule", period, default));
        Assert.False(await second.TryClaimAsync("test-schedule", period, default));
        time.Now += TimeSpan.FromMinutes(20);
        Assert.False(await second.TryClaimAsync("test-schedule", period, default));
        Assert.True(await second.TryClaimAsync("other-schedule", period, default)); // another schedule is another claim

        // The next period goes to whichever instance asks first: the first one may have died meanwhile.
        time.Now += TimeSpan.FromMinutes(45);
        Assert.True(await second.TryClaimAsync("test-schedule", period, default));
        Assert.False(await first.TryClaimAsync("test-schedule", period, default));
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string>? explain = null)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await condition()) return;
            await Task.Delay(25);
        }
        Assert.True(await condition(), explain?.Invoke());
    }

    internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}

/// <summary>
/// A garbage collection running on one instance is shown, with its phase and instance, on another, refuses a second
/// collection there, and is cancelled from there: two instances on one PostgreSQL database, and two on one SQLite
/// data directory (what <c>wharf garbage-collect</c> beside a running <c>wharf serve</c> is).
/// </summary>
public sealed class ClusterGcTests
{
    [Fact]
    public async Task A_collection_running_on_one_instance_is_seen_and_cancelled_from_another_on_postgresql()
    {
        await using var database = await TestDatabase.CreatePostgreSqlAsync();
        string[] settings = [GcTestSupport.NoGrace, "--Wharf:GarbageCollection:ProgressInterval=00:00:00.050", "--Wharf:Database:ConnectionString=" + database.ConnectionString];
        await using var first = new RegistryTestHost { Settings = settings };
        await first.InitializeAsync();
        await using var second = new RegistryTestHost
        {
            Settings = [.. settings, "--registry:storage:filesystem:rootdirectory=" + first.RootDirectory],
        };
        await second.InitializeAsync();
        await RunAsync(first, second);
    }

    [Fact]
    public async Task A_collection_running_on_one_instance_is_seen_and_cancelled_from_another_on_sqlite()
    {
        string[] settings = [GcTestSupport.NoGrace, "--Wharf:GarbageCollection:ProgressInterval=00:00:00.050"];
        await using var first = new RegistryTestHost { Settings = settings, ForceSqlite = true };
        await first.InitializeAsync();
        await using var second = new RegistryTestHost
        {
            ForceSqlite = true,
            Settings = [.. settings, "--registry:storage:filesystem:rootdirectory=" + first.RootDirectory, "--Wharf:DataDirectory=" + Path.Combine(first.RootDirectory, "wharf")],
        };
        await second.InitializeAsync();
        await RunAsync(first, second);
    }

    private static async Task RunAsync(RegistryTestHost first, RegistryTestHost second)
    {
        using (var client = first.CreateClient()) await client.PushImageAsync("team/app", "1.0", GcTestSupport.Image("cluster-gc"));
        var running = first.Services.GetRequiredService<GarbageCollector>();
        var elsewhere = second.Services.GetRequiredService<GarbageCollector>();
        var marking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        running.ProgressChanged += progress =>
        {
            if (progress.Phase != GcPhase.Marking || !marking.TrySetResult()) return;
            // Held here, on the collector's thread, until the other instance's cancel request has reached this run.
            SpinWait.SpinUntil(() => running.CancelRequested, TimeSpan.FromSeconds(30));
        };

        var run = running.RunAsync(deleteUntagged: false, RegistryCaller.System, CancellationToken.None);
        await marking.Task.WaitAsync(TimeSpan.FromSeconds(30));
        GcProgress? seen = null;
        await ClusterStateTests.WaitUntilAsync(async () => (seen = await elsewhere.RunningAsync(default)) is { Phase: GcPhase.Marking });
        Assert.Equal(first.Services.GetRequiredService<ThisInstance>().Id, seen!.Instance);
        Assert.Null(elsewhere.Progress); // not running there
        await Assert.ThrowsAsync<GcBusyException>(() => elsewhere.RunAsync(deleteUntagged: false, RegistryCaller.System, CancellationToken.None));

        Assert.True(await elsewhere.CancelAsync(default));
        var result = await run;
        Assert.Equal(GcRunState.Cancelled, result.Run.State);
        Assert.Null(await elsewhere.RunningAsync(default));
        Assert.False(await elsewhere.CancelAsync(default)); // nothing runs now
    }
}
