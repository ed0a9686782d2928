using Wharf.Registry.Proxy;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_callers_share_one_run_and_a_later_caller_starts_a_new_one()
    {
        var flights = new SingleFlight<string, int>();
        var runs = 0;
        var release = new TaskCompletionSource();
        async Task<int> Work(CancellationToken _)
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return 42;
        }

        var callers = Enumerable.Range(0, 10).Select(_ => flights.RunAsync("k", Work, CancellationToken.None)).ToList();
        await Task.Delay(50);
        Assert.Equal(1, flights.Count);
        release.SetResult();
        Assert.All(await Task.WhenAll(callers), r => Assert.Equal(42, r));
        Assert.Equal(1, runs);
        Assert.Equal(0, flights.Count);

        Assert.Equal(42, await flights.RunAsync("k", Work, CancellationToken.None));
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task A_failure_reaches_every_caller_and_is_not_remembered()
    {
        var flights = new SingleFlight<string, int>();
        var release = new TaskCompletionSource();
        async Task<int> Fail(CancellationToken _)
        {
            await release.Task;
            throw new InvalidOperationException("upstream down");
        }
        var a = flights.RunAsync("k", Fail, CancellationToken.None);
        var b = flights.RunAsync("k", Fail, CancellationToken.None);
        release.SetResult();
        Assert.Equal("upstream down", (await Assert.ThrowsAsync<InvalidOperationException>(() => a)).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => b);
        Assert.Equal(7, await flights.RunAsync("k", _ => Task.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_work_for_the_others()
    {
        var flights = new SingleFlight<string, int>();
        var release = new TaskCompletionSource();
        var observed = CancellationToken.None;
        async Task<int> Work(CancellationToken token)
        {
            observed = token;
            await release.Task;
            return 1;
        }
        using var impatient = new CancellationTokenSource();
        var first = flights.RunAsync("k", Work, impatient.Token);
        var second = flights.RunAsync("k", Work, CancellationToken.None);
        impatient.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        release.SetResult();
        Assert.Equal(1, await second);
        Assert.False(observed.IsCancellationRequested);
    }
}
