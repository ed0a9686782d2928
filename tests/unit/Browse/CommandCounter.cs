using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Wharf.Tests.Unit.Browse;

/// <summary>
/// Counts the SQL commands one <see cref="DbContext"/> executes, from EF Core's diagnostic events (other contexts of
/// tests running at the same time are not counted): what proves a list costs the same few queries whatever its rows.
/// EF Core looks only now and then (once a second) whether anyone listens to its events, so the listener is
/// subscribed once for the whole run (<see cref="Listen"/>), and <see cref="UntilCountingAsync"/> waits until EF has
/// noticed it.
/// </summary>
public sealed class CommandCounter : IDisposable
{
    private static readonly ConcurrentDictionary<DbContext, CommandCounter> Counting = new(ReferenceEqualityComparer.Instance);
    private static readonly IDisposable Subscription = DiagnosticListener.AllListeners.Subscribe(new Listeners());

    private readonly DbContext _context;
    private int _count;

    public CommandCounter(DbContext context)
    {
        Listen();
        _context = context;
        Counting[context] = this;
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose() => Counting.TryRemove(_context, out _);

    /// <summary>Subscribes to EF Core's events (once for the run); call it before the work whose queries are counted.</summary>
    public static void Listen() => GC.KeepAlive(Subscription);

    /// <summary>
    /// Runs <paramref name="counted"/> (a query on a fresh context, returning how many commands were counted) until
    /// EF Core has noticed the listener and its commands are counted.
    /// </summary>
    public static async Task UntilCountingAsync(Func<Task<int>> counted)
    {
        for (var attempt = 0; attempt < 5000; attempt++)
            if (await counted() > 0) return;
        throw new InvalidOperationException("EF Core's command events never arrived: the query counts cannot be trusted");
    }

    private sealed class Listeners : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name) listener.Subscribe(new Commands());
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }
    }

    private sealed class Commands : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Key == RelationalEventId.CommandExecuted.Name && e.Value is CommandEventData { Context: { } context }
                && Counting.TryGetValue(context, out var counter))
                Interlocked.Increment(ref counter._count);
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }
    }
}
