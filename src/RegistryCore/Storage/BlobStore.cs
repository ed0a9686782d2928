using System.Security.Cryptography;
using Wharf.Registry.Content;

namespace Wharf.Registry.Storage;

/// <summary>
/// Content-addressed blobs on top of a storage driver. A blob only ever appears under its digest whole and
/// verified: content is hashed as it streams into the store, and the store publishes it only when the stream ended
/// with the right digest and length (<see cref="IBlobStorage.PutAsync"/> is all or nothing).
/// </summary>
public sealed class BlobStore(IBlobStorage storage)
{
    public IBlobStorage Storage => storage;

    public async Task<long?> SizeAsync(Digest digest, CancellationToken cancellationToken) =>
        (await storage.StatAsync(StorageLayout.BlobData(digest), cancellationToken))?.Size;

    public Task<StorageObject?> StatAsync(Digest digest, CancellationToken cancellationToken) =>
        storage.StatAsync(StorageLayout.BlobData(digest), cancellationToken);

    /// <summary>Opens (a range of) a blob; null when the store does not hold it.</summary>
    public Task<StorageRead?> ReadAsync(Digest digest, long offset, long? length, CancellationToken cancellationToken) =>
        storage.ReadAsync(StorageLayout.BlobData(digest), offset, length, cancellationToken);

    /// <exception cref="FileNotFoundException">The store does not hold the blob.</exception>
    public async Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(digest, 0, null, cancellationToken)
            ?? throw new FileNotFoundException($"blob {digest} is not in the store");
        return read.Content;
    }

    public async Task<byte[]?> ReadAllAsync(Digest digest, long maxBytes, CancellationToken cancellationToken)
    {
        await using var read = await ReadAsync(digest, 0, null, cancellationToken);
        if (read is null || read.Length > maxBytes) return null;
        var buffer = new MemoryStream((int)read.Length);
        await read.Content.CopyToAsync(buffer, cancellationToken);
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
        await WriteAsync(new MemoryStream(content.ToArray(), writable: false), digest, content.Length, cancellationToken);
    }

    /// <summary>
    /// Streams content into the store, verifying it against <paramref name="expected"/>. Nothing is stored when the
    /// digest or length is wrong, or the stream fails part way (RegistryException DIGEST_INVALID / SIZE_INVALID then).
    /// </summary>
    /// <param name="tee">Receives every byte as it passes (the pull-through cache's readers).</param>
    public async Task<long> WriteAsync(Stream content, Digest expected, long? expectedLength, CancellationToken cancellationToken, Stream? tee = null)
    {
        using var hash = IncrementalHash.CreateHash(expected.HashAlgorithmName);
        var verifying = new HashingReadStream(content, hash, expectedLength, expected, tee);
        await storage.PutAsync(StorageLayout.BlobData(expected), verifying, cancellationToken);
        return verifying.BytesRead;
    }

    /// <summary>Publishes a finished, verified upload under its digest.</summary>
    public Task CommitAsync(IStorageUpload upload, Digest digest, CancellationToken cancellationToken) =>
        upload.PublishAsync(StorageLayout.BlobData(digest), cancellationToken);

    public Task DeleteAsync(Digest digest, CancellationToken cancellationToken) =>
        storage.DeleteAsync(StorageLayout.BlobData(digest), cancellationToken);

    /// <summary>Deletes many blobs in as few store calls as it allows (a garbage collection batch).</summary>
    public Task DeleteManyAsync(IEnumerable<Digest> digests, CancellationToken cancellationToken) =>
        storage.DeleteManyAsync(digests.Select(StorageLayout.BlobData).ToList(), cancellationToken);
}
