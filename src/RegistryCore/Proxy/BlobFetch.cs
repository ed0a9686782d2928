using Wharf.Registry.Content;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Proxy;

/// <summary>
/// One upstream GET of a blob, under way. The bytes stream into the store (hashed as they pass, published only when
/// verified) and, as they pass, into a local spool file; every request for the blob meanwhile reads the spool as it
/// grows, through <see cref="OpenReader"/>. So concurrent pulls of an uncached blob cost one upstream GET and all of
/// them stream, on every storage back end (the store itself is never read while it is being written).
/// </summary>
public sealed class BlobFetch
{
    private readonly TaskCompletionSource<long?> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BlobStore _store;
    private long _written;

    public BlobFetch(UpstreamMatch match, Digest digest, BlobStore store)
    {
        Match = match;
        Digest = digest;
        _store = store;
    }

    public UpstreamMatch Match { get; }
    public Digest Digest { get; }

    /// <summary>The local file the fetched bytes are copied to for the readers of this fetch; removed when it ends.</summary>
    internal string SpoolPath { get; } = Path.Combine(Path.GetTempPath(), $"wharf-fetch-{Guid.NewGuid():N}");

    internal FileStream OpenSpoolWriter() => new(SpoolPath, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.Read | FileShare.Delete,
        Options = FileOptions.Asynchronous,
        BufferSize = 0, // every write reaches the file at once, for the readers
    });

    /// <summary>
    /// Completes when the upstream has answered, with the blob's length (null if it did not say); fails with an
    /// <see cref="UpstreamException"/> when it did not answer with the blob.
    /// </summary>
    public Task<long?> Started => _started.Task;

    /// <summary>Completes when the blob is verified, in place and linked; fails when anything went wrong (nothing is committed then).</summary>
    public Task Completed => _completed.Task;

    /// <summary>Bytes in the scratch object so far (the whole size once <see cref="Completed"/>).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Completes at the next change: more bytes, success or failure.</summary>
    internal Task Progress => Volatile.Read(ref _progress).Task;

    /// <summary>A stream of the blob's bytes that follows the scratch object as it grows and fails if the fetch fails.</summary>
    public Stream OpenReader() => new GrowingBlobStream(this, _store);

    internal void Start(long? length) => _started.TrySetResult(length);

    internal void Advance(int bytes)
    {
        Interlocked.Add(ref _written, bytes);
        Signal();
    }

    internal void Succeed(long size)
    {
        DeleteSpool();
        Interlocked.Exchange(ref _written, size);
        _started.TrySetResult(size);
        _completed.TrySetResult();
        Signal();
    }

    internal void Fail(Exception error)
    {
        DeleteSpool();
        _started.TrySetException(error);
        _completed.TrySetException(error);
        // Observed here: a failure that no reader waited for must not surface as an unobserved task exception.
        _ = _started.Task.Exception;
        _ = _completed.Task.Exception;
        Signal();
    }

    /// <summary>Readers that opened the spool keep reading it (POSIX unlink semantics); new readers go to the store.</summary>
    private void DeleteSpool()
    {
        try
        {
            File.Delete(SpoolPath);
        }
        catch (IOException)
        {
        }
    }

    private void Signal() =>
        Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
