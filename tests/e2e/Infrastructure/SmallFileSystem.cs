namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A small tmpfs the test mounts (as root) so a disk can be filled up or made read-only on purpose. A machine where
/// it cannot be mounted fails the test with the reason: the full-disk and read-only behaviour is not tested otherwise.
/// </summary>
public sealed class SmallFileSystem : IAsyncDisposable
{
    private SmallFileSystem(string path) => Path = path;

    public string Path { get; }

    public static async Task<SmallFileSystem> MountAsync(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        ExternalTool.Require("mount");
        var result = await ExternalTool.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"cannot mount a {megabytes} MiB tmpfs at {path} (the full-disk and read-only tests need root): {result.All}");
        return new SmallFileSystem(path);
    }

    /// <summary>Remounts it read-only or read-write (the kernel refuses read-only while a file is open for writing).</summary>
    public async Task RemountAsync(bool readOnly)
    {
        var result = await ExternalTool.RunAsync("mount", ["-o", readOnly ? "remount,ro" : "remount,rw", Path]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"cannot remount {Path} {(readOnly ? "read-only" : "read-write")}: {result.All}");
    }

    /// <summary>Fills the file system with a file until no more than <paramref name="leaveBytes"/> are free.</summary>
    public void Fill(string name, long leaveBytes = 0)
    {
        var buffer = new byte[64 * 1024];
        using var file = new FileStream(System.IO.Path.Combine(Path, name), FileMode.Create, FileAccess.Write, FileShare.None, 0);
        try
        {
            while (new DriveInfo(Path).AvailableFreeSpace > leaveBytes + buffer.Length) file.Write(buffer);
            var rest = new DriveInfo(Path).AvailableFreeSpace - leaveBytes;
            if (rest > 0) file.Write(buffer, 0, (int)rest);
        }
        catch (IOException)
        {
            // Full.
        }
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public async ValueTask DisposeAsync()
    {
        await ExternalTool.RunAsync("umount", ["-l", Path]);
        try { Directory.Delete(Path); } catch (IOException) { }
    }
}
