namespace Wharf.Registry.Storage;

/// <summary>What a stored object looks like.</summary>
public sealed record StorageEntry(string Path, long Size, DateTime ModifiedUtc, bool IsDirectory);

/// <summary>
/// The small interface every storage back end implements. Paths are relative, '/'-separated, and built only by
/// <see cref="StorageLayout"/>. A driver must make <see cref="MoveAsync"/> atomic: readers see the old object, or the
/// whole new one, never a part — that is what keeps a crash from exposing a partial blob.
/// </summary>
public interface IStorageDriver
{
    /// <summary>A short name for logs and health checks ("filesystem", "s3", …).</summary>
    string Name { get; }

    Task<StorageEntry?> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens an object for reading. The stream is seekable when the back end allows it (range requests use that).</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a writer that appends to an object, creating it if needed. Dispose to close it.</summary>
    Task<StorageWriter> OpenAppendAsync(string path, CancellationToken cancellationToken);

    /// <summary>Atomically renames <paramref name="source"/> to <paramref name="destination"/>, replacing it.</summary>
    Task MoveAsync(string source, string destination, CancellationToken cancellationToken);

    /// <summary>Removes an object, or a directory and everything under it. Missing paths are not an error.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>The direct children of a directory (names only); empty if it does not exist.</summary>
    IAsyncEnumerable<StorageEntry> ListAsync(string directory, CancellationToken cancellationToken);
}

/// <summary>An append-only writer for an object. <see cref="CommitAsync"/> makes what was written durable.</summary>
public abstract class StorageWriter : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Size; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Bytes in the object so far, including what was there when it was opened.</summary>
    public abstract long Size { get; }

    /// <summary>Flushes to stable storage; after it returns, what was written survives a crash.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    /// <summary>Discards everything past <paramref name="length"/> (a chunk that failed part way).</summary>
    public abstract Task RollbackAsync(long length, CancellationToken cancellationToken);
}
