using Microsoft.Extensions.Logging;

namespace Wharf.Registry.Storage;

/// <summary>
/// Space kept back so a full disk stays survivable. SQLite needs room to record a delete or a garbage-collection
/// run (its write-ahead log grows before anything is freed), and so does a start (migrations, WAL). Wharf keeps a
/// reserve file of <see cref="Size"/> bytes in its data directory and refuses pushes once less than that is free
/// besides it; when free space runs out anyway (something else filled the disk), the reserve is released before a
/// delete, a collection or a start, and made again once there is room.
/// </summary>
public sealed partial class StorageReserve(string dataDirectory, long size, ILogger<StorageReserve> logger)
{
    public const long DefaultSize = 16L * 1024 * 1024;
    private const long Headroom = 4L * 1024 * 1024;
    private readonly Lock _lock = new();

    public long Size => size;
    private string Path => System.IO.Path.Combine(dataDirectory, "reserve");

    /// <summary>Bytes free on the data directory's file system (the reserve file itself not counted as free).</summary>
    public long AvailableBytes()
    {
        try
        {
            return new DriveInfo(dataDirectory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue; // cannot tell: do not refuse pushes for it
        }
    }

    /// <summary>Whether a push should be refused: less than the reserve is free.</summary>
    public bool IsLow => size > 0 && AvailableBytes() < size;

    /// <summary>Frees the reserve when the disk is (nearly) full, so what follows can record its work.</summary>
    public void ReleaseIfLow()
    {
        if (!IsLow) return;
        lock (_lock)
        {
            if (!File.Exists(Path)) return;
            try
            {
                File.Delete(Path);
                LogReleased(logger, size / (1024 * 1024));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Read-only: nothing to free, and nothing can be written anyway.
            }
        }
    }

    /// <summary>Makes the reserve file when it is missing and there is room for it and a few MiB more.</summary>
    public void Ensure()
    {
        if (size <= 0) return;
        lock (_lock)
        {
            if (File.Exists(Path) || AvailableBytes() < size + Headroom) return;
            try
            {
                var before = AvailableBytes();
                // fallocate(2) where the file system has it: the space is held without writing a byte.
                using var file = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, PreallocationSize = size,
                });
                if (before - AvailableBytes() < size / 2)
                {
                    // No preallocation here: write the zeros (a sparse file would hold no space at all).
                    var zeros = new byte[1024 * 1024];
                    for (long written = 0; written < size; written += zeros.Length) file.Write(zeros, 0, (int)Math.Min(zeros.Length, size - written));
                }
                file.Flush(flushToDisk: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                File.Delete(Path); // a partial reserve holds space nobody counts on
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data directory's disk is full: released the {Megabytes} MiB reserve so deletes and garbage collection can proceed; pushes are refused until space is freed")]
    private static partial void LogReleased(ILogger logger, long megabytes);
}
