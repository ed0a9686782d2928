namespace Wharf.Registry.Storage;

/// <summary>
/// Where a path really leads once symbolic links are followed, so the filesystem driver never serves a file outside
/// its root. A data directory copied from registry:2 (or written by anyone with access to the disk) can hold a blob
/// <c>data</c> that is a link to <c>/etc/passwd</c> or to Wharf's own signing key; the lexical check in
/// <see cref="FileSystem.FileSystemBlobStorage.Resolve"/> cannot see that.
/// </summary>
/// <remarks>
/// .NET has no realpath(3); <see cref="FileSystemInfo.LinkTarget"/> reads one link at a time, so the walk is written
/// out here: each component is checked, links are expanded in place (relative to the directory that holds them),
/// and a loop of links ends the walk.
/// </remarks>
internal static class ContainedPath
{
    private const int MaxLinks = 40; // Linux's own limit (MAXSYMLINKS)

    /// <summary>The real path of <paramref name="fullPath"/> (absolute, normalised), or null when the links loop.</summary>
    public static string? RealPath(string fullPath)
    {
        var pending = new Stack<string>(fullPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = "/";
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..") { current = Path.GetDirectoryName(current) ?? "/"; continue; }
            var next = Path.Join(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null) { current = next; continue; }
            if (++links > MaxLinks) return null;
            if (Path.IsPathRooted(target)) current = "/";
            foreach (var piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(piece);
        }
        return current;
    }
}
