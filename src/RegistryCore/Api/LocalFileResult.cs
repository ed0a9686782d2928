using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Api;

/// <summary>
/// A whole blob from an open local file, sent in 64 KiB pieces through the response's
/// <see cref="System.IO.Pipelines.PipeWriter"/>, each flushed before the next is read, so a response holds little:
/// one pooled piece plus what Kestrel buffers ahead of the socket (64 KiB of its own pooled blocks). 200 concurrent
/// pulls of a large layer then stay within a few tens of MiB. Kestrel has no zero-copy sendfile (its SendFileAsync
/// copies in 16 KiB buffers); what this avoids:
/// - writing a large buffer through <c>Response.Body</c>: Kestrel copies a write whole into its pipe before it
///   waits for the socket, so 1 MiB writes held 2 MiB per connection;
/// - reading into <c>PipeWriter.GetMemory(64 KiB)</c>: larger than Kestrel's 4 KiB blocks, so every piece is a
///   fresh array from the shared pool, which runs dry under many connections and turns the pull into garbage.
/// Ranged requests go through the framework's range handling.
/// </summary>
/// <remarks>
/// Small pieces cost a single large pull about a tenth of its speed (a flush and a send per 64 KiB), so while few
/// whole-blob responses are in flight each sends 1 MiB pieces: <see cref="LargePieceResponses"/> of them hold at most
/// a few MiB each, and every response beyond those uses small pieces. The count is this process's own (it bounds
/// this process's memory; nothing about it needs sharing with other instances).
/// </remarks>
internal sealed class LocalFileResult(FileStream file, long length, string contentType) : IResult
{
    /// <summary>Below the large-object heap's 85,000 bytes, and large enough that a pull is a few system calls per MiB.</summary>
    private const int PieceSize = 64 * 1024;
    private const int LargePieceSize = 1024 * 1024;
    private const int LargePieceResponses = 2;
    private static int _inFlight;

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var _ = file;
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = length;
        response.Headers.AcceptRanges = "bytes";
        var writer = response.BodyWriter;
        var handle = file.SafeFileHandle;
        var pieceSize = Interlocked.Increment(ref _inFlight) <= LargePieceResponses ? LargePieceSize : PieceSize;
        var buffer = ArrayPool<byte>.Shared.Rent(pieceSize);
        try
        {
            for (long offset = 0; offset < length;)
            {
                // A synchronous pread: on Linux an "asynchronous" file read is the same blocking read on another pool
                // thread, one hop per piece; here it runs on the request's own pool thread instead.
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(pieceSize, length - offset)), offset);
                // Blobs never change once written; a file shorter than it was when opened is damage. Failing here
                // aborts the connection, so the client sees a body shorter than Content-Length, never a wrong blob.
                if (read == 0) throw new IOException($"{file.Name} ended at {offset} of {length} bytes while it was being sent");
                offset += read;
                var flushed = await writer.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                if (flushed.IsCanceled || flushed.IsCompleted) return; // the client went away
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
