using System.Threading.Channels;
using Wharf.Portal.Data;

namespace Wharf.Portal.Audit;

/// <summary>
/// Queues audit entries for <see cref="AuditWriter"/>. Writers never wait on the database: a burst of pushes is
/// recorded in batches behind them, and a push is never slowed or failed by its audit line.
/// </summary>
public sealed class AuditLog
{
    private readonly Channel<AuditEntry> _queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    public ChannelReader<AuditEntry> Reader => _queue.Reader;

    public void Record(string actor, string action, string outcome, string? repository = null, string? target = null, string? detail = null, string? clientAddress = null) =>
        _queue.Writer.TryWrite(new AuditEntry
        {
            Timestamp = DateTime.UtcNow,
            Actor = actor,
            Action = action,
            Outcome = outcome,
            Repository = repository,
            Target = target,
            Detail = detail,
            ClientAddress = clientAddress,
        });

    public void Record(AuditEntry entry) => _queue.Writer.TryWrite(entry);

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _writing) > 0) await Task.Delay(20, cancellationToken);
    }

    private int _writing;
    internal void BeginWrite() => Interlocked.Increment(ref _writing);
    internal void EndWrite() => Interlocked.Decrement(ref _writing);
}
