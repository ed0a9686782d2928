using Wharf.Registry.Storage;

namespace Wharf.Tests.Unit.Storage;

/// <summary>A stream that throws an <see cref="IOException"/> once <c>failAfter</c> bytes were read (a client that went away).</summary>
internal sealed class FailingStream(Stream inner, long failAfter) : ForwardOnlyReadStream
{
    private long _read;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_read >= failAfter) throw new IOException("the client went away");
        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAfter - _read)], cancellationToken);
        _read += read;
        return read;
    }
}

/// <summary>Hides that a stream can seek (a request body), so drivers cannot rely on its length.</summary>
internal sealed class NonSeekableStream(Stream inner) : ForwardOnlyReadStream
{
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
}
