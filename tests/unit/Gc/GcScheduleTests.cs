using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

public sealed class GcScheduleTests
{
    [Fact]
    public async Task The_schedule_is_off_by_default_and_the_grace_period_is_a_day()
    {
        await using var host = await StartAsync([]);
        var options = host.Services.GetRequiredService<IOptions<GarbageCollectionOptions>>().Value;
        Assert.Null(options.Interval);
        Assert.Equal(TimeSpan.FromHours(24), options.GracePeriod);
        Assert.False(options.DeleteUntagged);
    }

    [Fact]
    public async Task With_an_interval_the_registry_collects_on_its_own()
    {
        // The schedule's clock is the test's: a collection runs when the test moves time on by the interval, not
        // when a machine under load gets round to it.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync([NoGrace, "--Wharf:GarbageCollection:Interval=01:00:00", "--Wharf:GarbageCollection:DeleteUntagged=true"], time);
        using var client = host.Host.CreateClient();
        var untagged = Image("scheduled", TestContent.Layer("scheduled"));
        await client.PushImageAsync("team/app", untagged.Digest, untagged);
        Assert.Null(await WithDbAsync(host.Host, db => db.GcRuns.FirstOrDefaultAsync()));

        // The schedule's timer may not exist yet when the test first moves the clock: move it again each round
        // until the run it starts has finished.
        GcRunRecord? run = null;
        while (run is null)
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(50); // the pace of polling, not a wait for time to pass
            run = await WithDbAsync(host.Host, db => db.GcRuns.FirstOrDefaultAsync(r => r.State == GcRunState.Completed && r.DeletedManifests > 0));
        }
        Assert.Equal((GcMode.Collect, true, "system"), (run.Mode, run.DeleteUntagged, run.RequestedBy));
        Assert.Empty(BlobFiles(host.Host.RootDirectory).Intersect(untagged.Blobs.Select(Digests.Sha256).Append(untagged.Digest)));
    }

    [Theory]
    [InlineData("--Wharf:GarbageCollection:GracePeriod=-00:00:01")]
    [InlineData("--Wharf:GarbageCollection:Interval=00:00:00")]
    [InlineData("--Wharf:GarbageCollection:SweepBatchSize=0")]
    public async Task Bad_settings_stop_the_start_with_a_clear_message(string setting)
    {
        var host = new RegistryTestHost { Settings = [setting] };
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.InitializeAsync);
        Assert.Contains("Wharf:GarbageCollection", error.Message);
        await host.DisposeAsync();
    }

    private static async Task<Started> StartAsync(string[] settings, TimeProvider? time = null)
    {
        var host = new RegistryTestHost
        {
            Settings = settings,
            Configure = time is null ? null : builder => builder.Services.AddSingleton(time),
        };
        await host.InitializeAsync();
        return new Started(host);
    }

    private sealed record Started(RegistryTestHost Host) : IAsyncDisposable
    {
        public IServiceProvider Services => Host.Services;
        public ValueTask DisposeAsync() => new(Host.DisposeAsync());
    }
}
