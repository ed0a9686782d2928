using System.Security.Cryptography;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A long read-only stream of pseudo-random bytes generated on the fly (nothing held in memory), with an optional
/// callback as bytes are handed out. Its SHA-256 is known once it has been read to the end.
/// </summary>
public sealed class PatternStream(long length, int seed = 7, Action<long>? progress = null, long start = 0) : Stream
{
    private readonly byte[] _block = MakeBlock(seed);
    private readonly long _start = start;
    private long _position = start;

    public static byte[] MakeBlock(int seed)
    {
        var block = new byte[1 << 20];
        new Random(seed).NextBytes(block);
        return block;
    }

    /// <summary>The SHA-256 digest of the whole stream's content, computed without allocating it.</summary>
    public static string DigestOf(long length, int seed = 7)
    {
        var block = MakeBlock(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long done = 0; done < length;)
        {
            var n = (int)Math.Min(block.Length, length - done);
            hash.AppendData(block, 0, n);
            done += n;
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var remaining = length - _position;
        if (remaining <= 0) return 0;
        var blockOffset = (int)(_position % _block.Length);
        var n = (int)Math.Min(Math.Min(count, remaining), _block.Length - blockOffset);
        Buffer.BlockCopy(_block, blockOffset, buffer, offset, n);
        _position += n;
        progress?.Invoke(_position);
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length - _start;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
