using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Api;

/// <summary>
/// A whole blob from a local file, copied to the response in 1 MiB pooled chunks. Kestrel has no zero-copy
/// sendfile, and the framework's file result copies in small buffers; for layers of many megabytes the larger
/// chunk halves the system calls. Ranged requests still go through the framework's range handling.
/// </summary>
internal sealed class LocalFileResult(string path, long length, string contentType) : IResult
{
    private const int ChunkSize = 1 << 20;

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = length;
        response.Headers.AcceptRanges = "bytes";
        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, ChunkSize), context.RequestAborted)) > 0)
                await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
