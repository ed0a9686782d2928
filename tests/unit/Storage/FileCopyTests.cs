using System.Security.Cryptography;
using Wharf.Registry.Storage;
using Wharf.Registry.Storage.FileSystem;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

/// <summary>
/// The filesystem's copy of a request body into a staged file: whatever sizes the body arrives in (a socket hands
/// over a few KiB at a time) and wherever the copy's buffer boundaries fall, the file holds exactly the body's bytes
/// at the offset, and nothing else is touched.
/// </summary>
public sealed class FileCopyTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "wharf-filecopy-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(FileCopy.BufferSize - 1)]
    [InlineData(FileCopy.BufferSize)]
    [InlineData(FileCopy.BufferSize + 1)]
    [InlineData(3 * FileCopy.BufferSize + 12_345)]
    [InlineData((9 << 20) + 3)] // past the writeback step (8 MiB)
    public async Task The_file_holds_exactly_the_body_at_the_offset(int length)
    {
        var prefix = RandomNumberGenerator.GetBytes(1000);
        await File.WriteAllBytesAsync(_path, prefix);
        var body = RandomNumberGenerator.GetBytes(length);

        long copied;
        using (var file = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.Read, FileOptions.Asynchronous))
            copied = await FileCopy.CopyAsync(new TricklingStream(body, seed: length), file, prefix.Length, CancellationToken.None);

        Assert.Equal(length, copied);
        var stored = await File.ReadAllBytesAsync(_path);
        Assert.Equal(prefix.Length + length, stored.Length);
        Assert.True(stored.AsSpan(0, prefix.Length).SequenceEqual(prefix), "the bytes before the offset changed");
        Assert.True(stored.AsSpan(prefix.Length).SequenceEqual(body), "the copied bytes differ from the body");
    }

    [Fact]
    public async Task A_body_that_fails_part_way_fails_the_copy()
    {
        var body = RandomNumberGenerator.GetBytes(3 * FileCopy.BufferSize);
        using var file = File.OpenHandle(_path, FileMode.Create, FileAccess.Write, FileShare.Read, FileOptions.Asynchronous);
        await Assert.ThrowsAsync<IOException>(() =>
            FileCopy.CopyAsync(new FailingStream(new TricklingStream(body, seed: 1), failAfter: FileCopy.BufferSize + 77), file, 0, CancellationToken.None));
    }

    /// <summary>Hands the body over in pieces of random size up to 70,000 bytes, as a socket would.</summary>
    private sealed class TricklingStream(byte[] content, int seed) : ForwardOnlyReadStream
    {
        private readonly Random _sizes = new(seed);
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = Math.Min(Math.Min(buffer.Length, content.Length - _position), _sizes.Next(1, 70_000));
            content.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }
    }
}
