using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Api;

/// <summary>
/// A whole blob from an open local file, read straight into the memory of the response's
/// <see cref="System.IO.Pipelines.PipeWriter"/> and flushed piece by piece, so each byte is copied once in this
/// process (file to socket buffer) and a response holds only what Kestrel buffers ahead of the socket. Kestrel has
/// no zero-copy sendfile (its SendFileAsync copies through a buffer of its own); what this avoids:
/// - writing a large buffer through <c>Response.Body</c>: Kestrel copies a write whole into its pipe before it
///   waits for the socket, so 1 MiB writes held 2 MiB per connection;
/// - reading into a buffer of our own and then writing it: one more copy of every byte, and one more buffer per
///   response, which 200 concurrent pulls of a large layer add up to tens of MiB.
/// Reads ask the pipe for <see cref="ReadSize"/>, the block size of the memory pool Wharf gives Kestrel
/// (<c>LargeBlockMemoryPool</c>), so every read lands in a pooled block; with a pool of smaller blocks Kestrel
/// hands out a temporary buffer and copies, which is slower but as correct. Ranged requests go through the
/// framework's range handling.
/// </summary>
/// <remarks>
/// Flushing every 64 KiB costs a single large pull about a tenth of its speed (a flush and a send each), so while few
/// whole-blob responses are in flight each flushes every 1 MiB: <see cref="LargePieceResponses"/> of them hold at most
/// about a MiB each, and every response beyond those flushes every 64 KiB. The count is this process's own (it bounds
/// this process's memory; nothing about it needs sharing with other instances).
/// </remarks>
internal sealed class LocalFileResult(FileStream file, long length, string contentType) : IResult
{
    private const int ReadSize = 64 * 1024;
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
        try
        {
            for (long offset = 0; offset < length;)
            {
                var pieceEnd = Math.Min(length, offset + pieceSize);
                while (offset < pieceEnd)
                {
                    var memory = writer.GetMemory(ReadSize);
                    var wanted = (int)Math.Min(memory.Length, pieceEnd - offset);
                    // A synchronous pread: on Linux an "asynchronous" file read is the same blocking read on another
                    // pool thread, one hop per read; here it runs on the request's own pool thread instead.
                    var read = RandomAccess.Read(handle, memory.Span[..wanted], offset);
                    // Blobs never change once written; a file shorter than it was when opened is damage. Failing here
                    // aborts the connection, so the client sees a body shorter than Content-Length, never a wrong blob.
                    if (read == 0) throw new IOException($"{file.Name} ended at {offset} of {length} bytes while it was being sent");
                    writer.Advance(read);
                    offset += read;
                }
                var flushed = await writer.FlushAsync(context.RequestAborted);
                if (flushed.IsCanceled || flushed.IsCompleted) return; // the client went away
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
