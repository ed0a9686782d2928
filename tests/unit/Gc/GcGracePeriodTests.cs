using Wharf.Registry;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>What the grace period protects is reported beside what is eligible: the same graph, pushed just now, under a day's grace.</summary>
public sealed class GcGracePeriodTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new() { Settings = ["--Wharf:GarbageCollection:GracePeriod=1.00:00:00"] };
    private readonly KnownGraph _graph = new();

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        using var client = _host.CreateClient();
        await _graph.PushAsync(client, _host.RootDirectory);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Unreferenced_items_inside_the_grace_period_are_counted_with_their_bytes_and_when_they_become_eligible()
    {
        var started = DateTime.UtcNow;
        var result = await Collector(_host).PreviewAsync(deleteUntagged: true, RegistryCaller.System, CancellationToken.None);

        Assert.Equal(GcRunState.Completed, result.Run.State);
        var mark = result.Mark!;
        // Everything was pushed a moment ago: nothing is eligible yet, and exactly what would be without the grace period waits.
        Assert.Empty(mark.Manifests);
        Assert.Empty(mark.Blobs);
        var waiting = mark.Waiting;
        Assert.Equal(_graph.EligibleManifestsUntagged().Count(), waiting.Manifests);
        // Blobs only untagged manifests use are kept while those manifests wait; they are counted once the manifests go.
        Assert.Equal(_graph.EligibleBlobs().Count, waiting.Blobs);
        Assert.True(waiting.Bytes > 0);
        Assert.InRange(waiting.FirstEligibleAt!.Value, started.AddDays(1).AddMinutes(-5), DateTime.UtcNow.AddDays(1));
        Assert.True(waiting.LastEligibleAt >= waiting.FirstEligibleAt);
    }
}
