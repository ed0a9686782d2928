using System.Security.Cryptography;
using Wharf.Registry.Content;

namespace Wharf.Registry.Storage;

/// <summary>
/// Content-addressed blobs on top of a storage driver. A blob only ever appears under its digest whole and
/// verified: content goes to a scratch object, is hashed as it streams, made durable, then renamed into place.
/// </summary>
public sealed class BlobStore(IStorageDriver driver)
{
    public IStorageDriver Driver => driver;

    public async Task<long?> SizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        var entry = await driver.StatAsync(StorageLayout.BlobData(digest), cancellationToken);
        return entry is { IsDirectory: false } ? entry.Size : null;
    }

    public Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken) =>
        driver.OpenReadAsync(StorageLayout.BlobData(digest), cancellationToken);

    public async Task<byte[]?> ReadAllAsync(Digest digest, long maxBytes, CancellationToken cancellationToken)
    {
        var size = await SizeAsync(digest, cancellationToken);
        if (size is null || size > maxBytes) return null;
        await using var stream = await OpenReadAsync(digest, cancellationToken);
        var buffer = new MemoryStream((int)size.Value);
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>
    /// Whether the stored bytes hash to <paramref name="digest"/> (content that was not written through Wharf: an
    /// imported registry:2 directory).
    /// </summary>
    /// <returns>The blob's size when it matches; null when it is missing or its content is something else.</returns>
    public async Task<long?> VerifyAsync(Digest digest, CancellationToken cancellationToken)
    {
        if (await SizeAsync(digest, cancellationToken) is null) return null;
        using var hash = IncrementalHash.CreateHash(digest.HashAlgorithmName);
        await using var stream = await OpenReadAsync(digest, cancellationToken);
        var size = await HashingCopy.CopyAsync(stream, Stream.Null, hash, cancellationToken);
        return Digest.FromHash(digest.Algorithm, hash.GetHashAndReset()) == digest ? size : null;
    }

    /// <summary>Writes small content that is already in memory (manifests) under its digest.</summary>
    public async Task PutAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (await SizeAsync(digest, cancellationToken) == content.Length) return;
        var scratch = StorageLayout.Scratch(Guid.NewGuid());
        try
        {
            await using (var writer = await driver.OpenAppendAsync(scratch, cancellationToken))
            {
                await writer.WriteAsync(content, cancellationToken);
                await writer.CommitAsync(cancellationToken);
            }
            await driver.MoveAsync(scratch, StorageLayout.BlobData(digest), cancellationToken);
        }
        finally
        {
            await driver.DeleteAsync(scratch, CancellationToken.None);
        }
    }

    /// <summary>
    /// Streams content into the store, verifying it against <paramref name="expected"/>. Nothing is committed when
    /// the digest or length is wrong, or the stream fails part way.
    /// </summary>
    /// <param name="scratchId">The scratch object to write (<see cref="StorageLayout.Scratch"/>), when others read it as it grows.</param>
    public async Task<long> WriteAsync(Stream content, Digest expected, long? expectedLength, CancellationToken cancellationToken, Stream? tee = null,
        Guid? scratchId = null)
    {
        var scratch = StorageLayout.Scratch(scratchId ?? Guid.NewGuid());
        try
        {
            using var hash = IncrementalHash.CreateHash(expected.HashAlgorithmName);
            long written;
            await using (var writer = await driver.OpenAppendAsync(scratch, cancellationToken))
            {
                written = await HashingCopy.CopyAsync(content, writer, hash, cancellationToken, expectedLength ?? long.MaxValue, tee);
                await writer.CommitAsync(cancellationToken);
            }
            if (expectedLength is { } length && written != length)
                throw new RegistryException(RegistryError.SizeInvalid, $"received {written} bytes, expected {length}");
            var actual = Digest.FromHash(expected.Algorithm, hash.GetHashAndReset());
            if (actual != expected)
                throw new RegistryException(RegistryError.DigestInvalid, $"content digest is {actual}, not {expected}");
            await driver.MoveAsync(scratch, StorageLayout.BlobData(expected), cancellationToken);
            return written;
        }
        finally
        {
            await driver.DeleteAsync(scratch, CancellationToken.None);
        }
    }

    /// <summary>Moves an already verified object (a finished upload) into place under its digest.</summary>
    public Task CommitAsync(string verifiedPath, Digest digest, CancellationToken cancellationToken) =>
        driver.MoveAsync(verifiedPath, StorageLayout.BlobData(digest), cancellationToken);

    public Task DeleteAsync(Digest digest, CancellationToken cancellationToken) =>
        driver.DeleteAsync(StorageLayout.BlobDirectory(digest), cancellationToken);
}
