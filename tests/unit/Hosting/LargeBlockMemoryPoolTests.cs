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
    public void A_block_is_given_back_once_and_cannot_be_used_after()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Memory.Span.Fill(42);
        block.Dispose();
        block.Dispose(); // a second dispose returns nothing twice to the shared pool
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
        using var next = pool.Rent();
        Assert.Equal(LargeBlockMemoryPool.BlockSize, next.Memory.Length);
    }

    [Fact]
    public async Task The_host_gives_Kestrel_this_pool()
    {
        await using var host = new RegistryTestHost();
        await host.InitializeAsync();
        Assert.IsType<LargeBlockMemoryPoolFactory>(host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }
}
