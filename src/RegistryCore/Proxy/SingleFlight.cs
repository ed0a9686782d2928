using System.Collections.Concurrent;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Runs one piece of work per key at a time and gives every concurrent caller its result: eight clients asking for
/// the same uncached manifest cause one upstream request. The work runs on its own, not cancelled when one caller
/// goes away (the others still want it); each caller stops waiting on its own token.
/// </summary>
public sealed class SingleFlight<TKey, TResult> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Task<TResult>> _flights;

    public SingleFlight(IEqualityComparer<TKey>? comparer = null)
    {
        _flights = new ConcurrentDictionary<TKey, Task<TResult>>(comparer);
    }

    /// <summary>How many flights are under way (for tests).</summary>
    public int Count => _flights.Count;

    /// <param name="work">Runs once per flight, with <paramref name="workToken"/>.</param>
    /// <param name="cancellationToken">Stops this caller waiting; the work goes on.</param>
    /// <param name="workToken">Cancels the work itself (application shutdown).</param>
    public Task<TResult> RunAsync(TKey key, Func<CancellationToken, Task<TResult>> work, CancellationToken cancellationToken,
        CancellationToken workToken = default)
    {
        while (true)
        {
            if (_flights.TryGetValue(key, out var existing)) return existing.WaitAsync(cancellationToken);
            var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_flights.TryAdd(key, completion.Task)) continue;
            _ = FlyAsync(key, completion, work, workToken);
            return completion.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task FlyAsync(TKey key, TaskCompletionSource<TResult> completion, Func<CancellationToken, Task<TResult>> work, CancellationToken workToken)
    {
        TResult result;
        try
        {
            await Task.Yield(); // never run the work inline on the first caller's stack
            result = await work(workToken);
        }
        catch (Exception e)
        {
            _flights.TryRemove(new KeyValuePair<TKey, Task<TResult>>(key, completion.Task));
            completion.TrySetException(e);
            // Observed here so that a failure nobody waited for does not surface as an unobserved task exception.
            _ = completion.Task.Exception;
            return;
        }
        // Removed before the result is published: a caller that comes after sees the state the work left behind.
        _flights.TryRemove(new KeyValuePair<TKey, Task<TResult>>(key, completion.Task));
        completion.TrySetResult(result);
    }
}
