using Wharf.Registry.Storage;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Reads a blob while a <see cref="BlobFetch"/> writes it: up to what is written so far, then waits for more. The
/// last byte is held back until the fetch has verified and committed the blob, so a client never receives a whole
/// body that turns out to be wrong; if the fetch fails, the read fails (and the API aborts the response).
/// </summary>
internal sealed class GrowingBlobStream(BlobFetch fetch, BlobStore store) : ForwardOnlyReadStream
{
    private Stream? _file;
    private long _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            var progress = fetch.Progress;
            var completed = fetch.Completed;
            if (completed.IsFaulted)
            {
                var cause = completed.Exception?.InnerException;
                throw new UpstreamReadException($"fetching blob {fetch.Digest} from upstream '{fetch.Match.Upstream.Name}' failed: {cause?.Message}", cause);
            }
            var succeeded = completed.IsCompletedSuccessfully;
            var limit = succeeded ? fetch.Written : fetch.Written - 1;
            if (_position < limit)
            {
                _file ??= await OpenAsync(cancellationToken);
                if (_file is not null)
                {
                    var read = await _file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _position)], cancellationToken);
                    if (read > 0)
                    {
                        _position += read;
                        return read;
                    }
                    if (succeeded) throw new UpstreamReadException($"blob {fetch.Digest} ended after {_position} of {limit} bytes");
                }
            }
            else if (succeeded)
            {
                return 0;
            }
            await progress.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Opens the fetch's spool file, or the blob in the store once the fetch succeeded. Null when neither can be read
    /// yet (the spool is not created, or was removed as the fetch ended): the caller waits for the next change.
    /// </summary>
    private async Task<Stream?> OpenAsync(CancellationToken cancellationToken)
    {
        if (fetch.Completed.IsCompletedSuccessfully) return await store.OpenReadAsync(fetch.Digest, cancellationToken);
        try
        {
            return new FileStream(fetch.SpoolPath, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (await store.SizeAsync(fetch.Digest, cancellationToken) is not null)
                return await store.OpenReadAsync(fetch.Digest, cancellationToken);
            return null;
        }
    }

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file?.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_file is not null) await _file.DisposeAsync();
        await base.DisposeAsync();
    }
}
