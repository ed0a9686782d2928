namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A small ext4 file system on a loop device, mounted (as root) with <c>errors=remount-ro</c>, so the test can make
/// the kernel turn it read-only under a running Wharf the way a failing disk does: <see cref="FailAsync"/> reports a
/// file-system error through ext4's own test hook, and ext4 remounts itself read-only at once, open files and all
/// (a plain <c>mount -o remount,ro</c> is refused while a file is open for writing). A machine where this cannot be
/// done fails the test with the reason.
/// </summary>
public sealed class LoopFileSystem : IAsyncDisposable
{
    private readonly string _image;
    private readonly string _device;

    private LoopFileSystem(string path, string image, string device)
    {
        Path = path;
        _image = image;
        _device = device;
    }

    public string Path { get; }

    public static async Task<LoopFileSystem> MountAsync(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        var image = path + ".img";
        await using (var file = new FileStream(image, FileMode.Create, FileAccess.Write)) file.SetLength((long)megabytes << 20);
        await Run("mkfs.ext4", "-q", "-F", image);
        var attached = await Run("losetup", "--find", "--show", image);
        var device = attached.Output.Trim();
        var mounted = await ExternalTool.RunAsync("mount", ["-o", "errors=remount-ro", device, path]);
        if (mounted.ExitCode != 0)
        {
            await ExternalTool.RunAsync("losetup", ["-d", device]);
            throw new InvalidOperationException($"cannot mount {device} at {path} (the read-only tests need root and loop devices): {mounted.All}");
        }
        return new LoopFileSystem(path, image, device);
    }

    /// <summary>Makes ext4 record an error, so it remounts itself read-only (emergency_ro) as after a disk failure.</summary>
    public async Task FailAsync()
    {
        var hook = $"/sys/fs/ext4/{System.IO.Path.GetFileName(_device)}/trigger_fs_error";
        if (!File.Exists(hook)) throw new InvalidOperationException($"{hook} does not exist: this kernel's ext4 has no error hook to make the disk fail");
        await File.WriteAllTextAsync(hook, "1");
        var options = await Run("findmnt", "-n", "-o", "OPTIONS", Path);
        var flags = options.Output.Trim().Split(',');
        if (!flags.Contains("ro") && !flags.Contains("emergency_ro"))
            throw new InvalidOperationException($"{Path} did not turn read-only after the error: {options.Output}");
    }

    private static async Task<ExternalTool.Result> Run(string tool, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(tool, arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed (the read-only tests need root and loop devices): {result.All}");
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalTool.RunAsync("umount", ["-l", Path]);
        await ExternalTool.RunAsync("losetup", ["-d", _device]);
        try { File.Delete(_image); } catch (IOException) { }
        try { Directory.Delete(Path); } catch (IOException) { }
    }
}
