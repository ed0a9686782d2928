using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// Copies a stream into a file at an offset with as little CPU as possible: each 256 KiB buffer is filled (the
/// caller's stream hashes the bytes as they are read), then written by the same thread while it is still in the
/// core's cache, and the disk starts writing what was written every few MiB (Linux's
/// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>, which starts writeback and waits for nothing), so the one flush
/// before a blob is published finds little left to write. Without it, the kernel writes nothing back for up to 30
/// seconds and that flush pays for the whole blob after the last byte arrived.
/// <para>
/// Why not write one buffer on another thread while the next is read (as an earlier version did, with 1 MiB
/// buffers): on the 2-core benchmark machine that cost 1.5–2× the CPU per pushed byte. A 1 MiB buffer no longer
/// fits in a core's cache, so the kernel's copy into the page cache read it back from memory, and the writing
/// thread ran on the other core, away from the cache the bytes were received into (docs/performance.md).
/// </para>
/// </summary>
internal static class FileCopy
{
    /// <summary>Fits in a core's second-level cache, with room for the socket's and the pipe's blocks.</summary>
    internal const int BufferSize = 256 << 10;

    /// <summary>How much is written before its writeback is started.</summary>
    private const long WritebackStep = 8L << 20;

    /// <returns>The number of bytes copied.</returns>
    public static async Task<long> CopyAsync(Stream content, SafeFileHandle file, long offset, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var start = offset;
        var writtenBack = offset;
        try
        {
            int filled;
            while ((filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                RandomAccess.Write(file, buffer.AsSpan(0, filled), offset);
                offset += filled;
                if (offset - writtenBack >= WritebackStep)
                {
                    Writeback.Start(file, writtenBack, offset - writtenBack);
                    writtenBack = offset;
                }
            }
            // The tail too: a chunked upload's next request, or the flush, comes later.
            Writeback.Start(file, writtenBack, offset - writtenBack);
            return offset - start;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
