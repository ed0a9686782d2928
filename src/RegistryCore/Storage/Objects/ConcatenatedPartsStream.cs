namespace Wharf.Registry.Storage.Objects;

/// <summary>
/// Reads staged parts one after the other as one stream. A part that is missing or not of its recorded size fails
/// the read, so a publish that reads it stores nothing.
/// </summary>
internal sealed class ConcatenatedPartsStream(IBlobStorage storage, IReadOnlyList<(string Key, long Size)> parts) : ForwardOnlyReadStream
{
    private int _next;
    private StorageRead? _current;
    private long _remaining;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            if (_current is null)
            {
                if (_next >= parts.Count) return 0;
                var (key, size) = parts[_next++];
                _current = await storage.ReadAsync(key, 0, null, cancellationToken)
                    ?? throw new IOException($"staged part {key} is missing");
                if (_current.Length != size) throw new IOException($"staged part {key} holds {_current.Length} bytes, expected {size}");
                _remaining = size;
            }
            var read = _remaining == 0 ? 0 : await _current.Content.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken);
            if (read > 0)
            {
                _remaining -= read;
                return read;
            }
            if (_remaining != 0) throw new IOException("a staged part ended early");
            await _current.DisposeAsync();
            _current = null;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_current is not null) await _current.DisposeAsync();
        _current = null;
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Content.Dispose();
        base.Dispose(disposing);
    }
}
