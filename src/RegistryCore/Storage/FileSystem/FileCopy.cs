using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// Copies a stream into a file at an offset, as fast as the disk and the client allow: one buffer is written while
/// the next is read (the client's bytes, and the hashing the caller's stream does as it is read, overlap the copy
/// into the page cache), and the disk starts writing what was written every few MiB (Linux's
/// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>, which starts writeback and waits for nothing), so the one flush
/// before a blob is published finds little left to write. Without it, the kernel writes nothing back for up to 30
/// seconds and that flush pays for the whole blob after the last byte arrived.
/// </summary>
internal static class FileCopy
{
    private const int BufferSize = 1 << 20;

    /// <summary>How much is written before its writeback is started.</summary>
    private const long WritebackStep = 8L << 20;

    /// <returns>The number of bytes copied.</returns>
    public static async Task<long> CopyAsync(Stream content, SafeFileHandle file, long offset, CancellationToken cancellationToken)
    {
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(BufferSize), ArrayPool<byte>.Shared.Rent(BufferSize)];
        var start = offset;
        var writtenBack = offset;
        var writing = Task.CompletedTask;
        try
        {
            var current = 0;
            var filled = await content.ReadAtLeastAsync(buffers[current].AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken);
            while (filled > 0)
            {
                var (buffer, length, at) = (buffers[current], filled, offset);
                var from = writtenBack;
                var startWriteback = at + length - writtenBack >= WritebackStep;
                if (startWriteback) writtenBack = at + length;
                writing = Task.Run(() =>
                {
                    RandomAccess.Write(file, buffer.AsSpan(0, length), at);
                    if (startWriteback) Writeback.Start(file, from, at + length - from);
                }, cancellationToken);
                offset += filled;
                current ^= 1;
                filled = await content.ReadAtLeastAsync(buffers[current].AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken);
                await writing;
            }
            // The tail too: a chunked upload's next request, or the flush, comes later.
            Writeback.Start(file, writtenBack, offset - writtenBack);
            return offset - start;
        }
        finally
        {
            // The buffers go back to the pool only once no write reads them.
            try { await writing; } catch (Exception) { }
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    /// <summary>
    /// Linux's <c>sync_file_range</c>, bound by hand: .NET exposes only the full flush (fsync). A hint only: where it
    /// is missing or fails, nothing changes but when the bytes reach the disk (the flush before publishing still
    /// makes them durable).
    /// </summary>
    private static class Writeback
    {
        private const uint SyncFileRangeWrite = 2;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int SyncFileRange(int fd, long offset, long length, uint flags);

        private static readonly SyncFileRange? Call = Bind();

        public static void Start(SafeFileHandle file, long offset, long length)
        {
            if (Call is null || length <= 0) return;
            var added = false;
            try
            {
                file.DangerousAddRef(ref added);
                Call((int)file.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
            }
            finally
            {
                if (added) file.DangerousRelease();
            }
        }

        private static SyncFileRange? Bind()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
            return NativeLibrary.TryGetExport(libc, "sync_file_range", out var function)
                ? Marshal.GetDelegateForFunctionPointer<SyncFileRange>(function)
                : null;
        }
    }
}
