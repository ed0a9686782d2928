using Wharf.Registry.Content;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Blobs;

/// <summary>
/// A blob as a seekable stream over the store's ranged reads, so the framework's Range handling works on every
/// back end: a seek only moves the position; the next read opens the store at that offset (one ranged GET on an
/// object store, a positioned file read locally).
/// </summary>
internal sealed class SeekableBlobStream(BlobStore store, Digest digest, long length) : Stream
{
    private StorageRead? _read;
    private long _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0) return 0;
        _read ??= await store.ReadAsync(digest, _position, null, cancellationToken)
            ?? throw new IOException($"blob {digest} was removed from the store while it was being read");
        var read = await _read.Content.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != _position)
        {
            _read?.Content.Dispose();
            _read = null;
            _position = target;
        }
        return _position;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _read?.Content.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_read is not null) await _read.DisposeAsync();
        await base.DisposeAsync();
    }
}
