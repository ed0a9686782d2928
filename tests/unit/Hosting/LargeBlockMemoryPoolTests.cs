using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Hosting;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>The memory pool Kestrel's connections receive request bodies into: 64 KiB blocks, reused, and the host uses it.</summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Every_rent_is_one_64_KiB_block_whatever_is_asked()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.Equal(LargeBlockMemoryPool.BlockSize, pool.MaxBufferSize);
        foreach (var asked in new[] { -1, 0, 1, 4096, LargeBlockMemoryPool.BlockSize })
        {
            using var block = pool.Rent(asked);
            Assert.Equal(LargeBlockMemoryPool.BlockSize, block.Memory.Length);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void A_returned_block_is_rented_again_and_a_second_dispose_returns_nothing()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        var array = ArrayOf(first);
        first.Dispose();
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Memory);

        using var again = pool.Rent();
        using var other = pool.Rent();
        Assert.Same(array, ArrayOf(again));
        Assert.NotSame(array, ArrayOf(other));
    }

    [Fact]
    public async Task The_host_gives_Kestrel_this_pool()
    {
        await using var host = new RegistryTestHost();
        await host.InitializeAsync();
        Assert.IsType<LargeBlockMemoryPoolFactory>(host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }

    private static byte[] ArrayOf(IMemoryOwner<byte> block) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
