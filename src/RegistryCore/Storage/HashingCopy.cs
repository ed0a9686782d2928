using System.Buffers;
using System.Security.Cryptography;

namespace Wharf.Registry.Storage;

/// <summary>
/// Copies a stream into a store writer in pooled chunks, hashing every byte on the way, so a blob is verified
/// without ever being held in memory. An optional second destination receives the same bytes as they pass
/// (the pull-through cache streams to the client while it writes to the store).
/// </summary>
public static class HashingCopy
{
    private const int ChunkSize = 256 * 1024;

    /// <returns>The number of bytes copied.</returns>
    /// <exception cref="RegistryException">SIZE_INVALID when more than <paramref name="maxBytes"/> arrive.</exception>
    public static async Task<long> CopyAsync(
        Stream source, Stream destination, IncrementalHash hash, CancellationToken cancellationToken,
        long maxBytes = long.MaxValue, Stream? tee = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long total = 0;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes) throw new RegistryException(RegistryError.SizeInvalid, "more content than the declared length");
                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                if (tee is not null) await tee.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
