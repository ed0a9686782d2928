using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Wharf.Portal.Hosting;

/// <summary>
/// The memory Kestrel's connections read into and write from, in blocks of <see cref="BlockSize"/> instead of
/// Kestrel's own 4 KiB. Why: the socket transport receives into one pool block at a time, so with 4 KiB blocks a
/// 256 MiB layer upload took about 130,000 <c>recvfrom</c> calls (2–4 KiB each) and as many trips through the
/// request body's pipe; with 64 KiB blocks it takes a few thousand. Kestrel offers no setting for its block size,
/// only the <see cref="IMemoryPoolFactory{T}"/> it resolves from the container, so this replaces the pool.
/// <para>
/// Blocks are pinned (allocated on the pinned object heap, as Kestrel's are, so sockets never pin them per call) and
/// reused; at most <see cref="MaxIdleBlocks"/> idle ones are kept per pool, the rest are left to the GC, so a burst of
/// connections does not stay resident. Idle connections hold no block (Kestrel waits for data before renting one).
/// </para>
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    /// <summary>4 MiB of idle blocks at most per pool.</summary>
    private const int MaxIdleBlocks = 64;

    private readonly ConcurrentQueue<byte[]> _idle = new();
    private int _idleCount;
    private bool _disposed;

    /// <summary>Larger requests are not served from the pool: the pipe rents those elsewhere. A blob GET reads into blocks of exactly this size (LocalFileResult).</summary>
    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out var block)) Interlocked.Decrement(ref _idleCount);
        else block = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        return new Block(this, block);
    }

    private void Return(byte[] block)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > MaxIdleBlocks)
        {
            Interlocked.Decrement(ref _idleCount);
            return;
        }
        _idle.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _idle.Clear();
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned) pool.Return(returned);
        }
    }
}
