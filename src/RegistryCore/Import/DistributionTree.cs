using Wharf.Registry.Content;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

/// <summary>What distribution's link files under one repository say (read from a flat listing of the store).</summary>
public sealed class DistributionRepository(string name)
{
    public string Name { get; } = name;
    /// <summary><c>_layers/&lt;alg&gt;/&lt;hex&gt;/link</c> keys.</summary>
    public List<string> LayerLinks { get; } = [];
    /// <summary><c>_manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link</c> keys.</summary>
    public List<string> RevisionLinks { get; } = [];
    /// <summary>Tag name → its <c>_manifests/tags/&lt;tag&gt;/current/link</c> key.</summary>
    public List<(string Tag, string Key)> TagLinks { get; } = [];
    /// <summary>Each link file's modification time (what a merging import compares with Wharf's state).</summary>
    public Dictionary<string, DateTimeOffset> ModifiedAt { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Walks distribution's <c>repositories/</c> tree as a flat, paged listing of keys — the same on a local directory
/// and a bucket written by registry:2's s3 or azure driver. A repository's keys all start with
/// <c>&lt;name&gt;/_</c> (no repository name component starts with '_'), so in key order they are contiguous and
/// each repository is yielded as soon as its last key has passed.
/// </summary>
public static class DistributionTree
{
    public static async IAsyncEnumerable<DistributionRepository> RepositoriesAsync(IBlobStorage storage,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var root = StorageLayout.Repositories + "/";
        DistributionRepository? current = null;
        await foreach (var item in storage.ListAllAsync(root, cancellationToken))
        {
            var path = item.Key[root.Length..];
            var marker = IndexOfReservedComponent(path);
            if (marker <= 0) continue;
            var name = path[..(marker - 1)];
            var rest = path[marker..].Split('/');
            if (current?.Name != name)
            {
                if (current is not null) yield return current;
                current = new DistributionRepository(name);
            }
            current.ModifiedAt[item.Key] = item.Modified;
            switch (rest)
            {
                case ["_layers", _, _, "link"]:
                    current.LayerLinks.Add(item.Key);
                    break;
                case ["_manifests", "revisions", _, _, "link"]:
                    current.RevisionLinks.Add(item.Key);
                    break;
                case ["_manifests", "tags", var tag, "current", "link"]:
                    current.TagLinks.Add((tag, item.Key));
                    break;
            }
        }
        if (current is not null) yield return current;
    }

    /// <summary>Where the first path component starting with '_' begins (index after its '/'), or -1.</summary>
    private static int IndexOfReservedComponent(string path)
    {
        var i = path.IndexOf("/_", StringComparison.Ordinal);
        return i < 0 ? -1 : i + 1;
    }

    /// <summary>Reads a link file (a digest as text); null when it is missing, too large or not a digest.</summary>
    public static async Task<Digest?> ReadLinkAsync(IBlobStorage storage, string key, CancellationToken cancellationToken)
    {
        await using var read = await storage.ReadAsync(key, 0, 1024, cancellationToken);
        if (read is null || read.ObjectSize > 1024) return null;
        using var reader = new StreamReader(read.Content, System.Text.Encoding.UTF8);
        var text = (await reader.ReadToEndAsync(cancellationToken)).Trim();
        return Digest.TryParse(text, out var digest) ? digest : null;
    }
}
