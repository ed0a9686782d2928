namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// A flat, ordinal-ordered listing of a directory tree, resumable after any key. Walks directories depth first with
/// each one's entries sorted as their keys sort (a directory as "name/"), so the walk yields keys in ordinal order
/// and a continuation skips whole subtrees that lie before it.
/// </summary>
internal static class FileSystemListing
{
    public static List<StorageObject> List(string root, string prefix, string? after, int limit, CancellationToken cancellationToken)
    {
        var result = new List<StorageObject>();
        var slash = prefix.LastIndexOf('/');
        var directory = slash < 0 ? "" : prefix[..(slash + 1)];
        var path = directory.Length == 0 ? root : Path.Combine(root, directory.TrimEnd('/'));
        if (Directory.Exists(path)) Walk(path, directory, prefix, after, limit, result, cancellationToken);
        return result;
    }

    private static void Walk(string path, string keyPrefix, string prefix, string? after, int limit, List<StorageObject> result, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(path).EnumerateFileSystemInfos().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return; // removed while listing
        }
        var sorted = entries
            .Select(e => (Info: e, Key: keyPrefix + e.Name + (e is DirectoryInfo ? "/" : "")))
            .OrderBy(e => e.Key, StringComparer.Ordinal);
        foreach (var (info, key) in sorted)
        {
            if (result.Count >= limit) return;
            if (info is DirectoryInfo)
            {
                // Only subtrees that can hold keys under the prefix, and after the continuation point.
                if (!(key.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(key, StringComparison.Ordinal))) continue;
                if (after is not null && string.CompareOrdinal(key, after) < 0 && !after.StartsWith(key, StringComparison.Ordinal)) continue;
                Walk(info.FullName, key, prefix, after, limit, result, cancellationToken);
            }
            else if (info is FileInfo file && key.StartsWith(prefix, StringComparison.Ordinal)
                     && (after is null || string.CompareOrdinal(key, after) > 0))
            {
                try
                {
                    result.Add(new StorageObject(key, file.Length, file.LastWriteTimeUtc));
                }
                catch (FileNotFoundException)
                {
                    // deleted while listing
                }
            }
        }
    }
}
