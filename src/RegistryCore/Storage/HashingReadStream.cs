using System.Security.Cryptography;
using Wharf.Registry.Content;

namespace Wharf.Registry.Storage;

/// <summary>
/// Passes a body through to a store while hashing every byte, so content is verified without being held in memory
/// or read twice. It enforces the declared length, may copy each byte to a second destination (the pull-through
/// cache's readers), and, given the expected digest, throws at the end of the stream when the content does not
/// match: a store reading it then publishes nothing (see <see cref="IBlobStorage.PutAsync"/>).
/// </summary>
internal sealed class HashingReadStream(Stream inner, IncrementalHash hash, long? expectedLength, Digest? expected = null, Stream? tee = null) : ForwardOnlyReadStream
{
    private bool _ended;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended || buffer.Length == 0) return 0;
        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            End();
            return 0;
        }
        BytesRead += read;
        if (BytesRead > (expectedLength ?? long.MaxValue))
            throw new RegistryException(RegistryError.SizeInvalid, $"more content than the declared {expectedLength} bytes");
        hash.AppendData(buffer.Span[..read]);
        if (tee is not null) await tee.WriteAsync(buffer[..read], cancellationToken);
        return read;
    }

    private void End()
    {
        _ended = true;
        if (expectedLength is { } length && BytesRead != length)
            throw new RegistryException(RegistryError.SizeInvalid, $"received {BytesRead} bytes, expected {length}");
        if (expected is { } digest)
        {
            var actual = Digest.FromHash(digest.Algorithm, hash.GetCurrentHash());
            if (actual != digest) throw new RegistryException(RegistryError.DigestInvalid, $"content digest is {actual}, not {digest}");
        }
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
}
