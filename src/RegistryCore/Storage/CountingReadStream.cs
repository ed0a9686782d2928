namespace Wharf.Registry.Storage;

/// <summary>Passes reads through and counts the bytes (how much a put stored, when the SDK does not say).</summary>
internal sealed class CountingReadStream(Stream inner) : ForwardOnlyReadStream
{
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        BytesRead += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        BytesRead += read;
        return read;
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
}
