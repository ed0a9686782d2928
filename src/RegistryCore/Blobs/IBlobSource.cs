using Wharf.Registry.Content;

namespace Wharf.Registry.Blobs;

public enum BlobReadMode
{
    /// <summary>HEAD: the size only.</summary>
    Head,
    /// <summary>A whole GET: the bytes may still be arriving (from an upstream) while they are read.</summary>
    Stream,
    /// <summary>A GET with Range: the content must be seekable.</summary>
    Seekable,
}

/// <summary>
/// A blob as read for a client: its size (null only while an upstream has not said) and, for a GET, its bytes —
/// as a stream, as a local file the server can send with sendfile(2) when the store is a local file system, or as
/// a short-lived signed URL of the object store to redirect the client to.
/// </summary>
public sealed record BlobRead(long? Size, Stream? Content)
{
    public string? LocalFile { get; init; }

    /// <summary>Where the client may GET the bytes itself (307), when the store signs URLs and redirects are on.</summary>
    public Uri? Redirect { get; init; }
}

/// <summary>
/// Reading blobs through a repository, for the API. <see cref="BlobService"/> reads the local store; the
/// pull-through cache decorates it, so the handlers never know whether a blob is local or comes from an upstream.
/// </summary>
public interface IBlobSource
{
    /// <returns>Null when the repository does not have the blob.</returns>
    Task<BlobRead?> ReadAsync(string repository, Digest digest, BlobReadMode mode, RegistryCaller caller, CancellationToken cancellationToken);
}
