namespace Wharf.Registry.Storage;

/// <summary>A stored object: its key (relative to the driver's root), size in bytes and last modification time.</summary>
public sealed record StorageObject(string Key, long Size, DateTimeOffset Modified);

/// <summary>One page of a listing; <see cref="ContinuationToken"/> is null on the last page.</summary>
public sealed record StoragePage(IReadOnlyList<StorageObject> Objects, string? ContinuationToken);

/// <summary>
/// An open read of (part of) an object. <see cref="Content"/> yields exactly <see cref="Length"/> bytes starting at
/// <see cref="Offset"/>. When the object is a local file, <see cref="LocalFile"/> names it, so the HTTP layer can
/// send it with sendfile(2) instead of copying through <see cref="Content"/> (it still disposes this read).
/// </summary>
public sealed class StorageRead(Stream content, long objectSize, long offset, long length, string? localFile = null) : IAsyncDisposable
{
    public Stream Content { get; } = content;

    /// <summary>The size of the whole object.</summary>
    public long ObjectSize { get; } = objectSize;

    public long Offset { get; } = offset;

    /// <summary>How many bytes <see cref="Content"/> yields.</summary>
    public long Length { get; } = length;

    /// <summary>The object's file on a local file system, or null on other stores.</summary>
    public string? LocalFile { get; } = localFile;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
