using Wharf.Registry.Storage;

namespace Wharf.Registry.Uploads;

/// <summary>
/// Passes a chunk's body to the storage upload, adding every byte to the session's content hash as it is read. The
/// store writes a buffer while the next one is read and hashed (the filesystem upload overlaps the two), so hashing
/// costs no second pass and little time.
/// </summary>
internal sealed class UploadHashingReadStream(Stream inner, UploadContentHash hash) : ForwardOnlyReadStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        hash.Append(buffer.Span[..read]);
        return read;
    }
}
