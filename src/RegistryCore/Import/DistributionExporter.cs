using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Cluster;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

public sealed record ExportReport(int Repositories, int Tags, int Revisions, int Layers, int Written, int Removed);

/// <summary>
/// The way back to registry:2: writes distribution's link files (tags with their index entry, manifest revisions,
/// layer links) for what Wharf serves now, and removes every link file for what Wharf no longer has, so
/// distribution started on the same store serves exactly Wharf's repositories, tags and digests (its blob paths are
/// Wharf's already). <c>_uploads</c> and everything outside <c>_layers</c> and <c>_manifests</c> is left alone.
/// Goes through <see cref="IBlobStorage"/> only, so a bucket is exported as a directory is.
/// </summary>
/// <remarks>
/// The state written is one read of the metadata. Wharf itself never reads link files while it serves, so an export
/// running beside a serving Wharf disturbs nothing, but what is pushed after that read is not in the links: stop
/// Wharf first when switching back. The export holds the garbage collection lease, so no Wharf collection deletes a
/// blob the links are about to name while it runs.
/// </remarks>
public sealed partial class DistributionExporter(RegistryDbContext db, IBlobStorage storage, ClusterLeases leases, ILogger<DistributionExporter> logger)
{
    /// <exception cref="InvalidOperationException">A garbage collection is running.</exception>
    public async Task<ExportReport> ExportAsync(CancellationToken cancellationToken)
    {
        await using var lease = await leases.TryAcquireAsync("gc", cancellationToken)
            ?? throw new InvalidOperationException("a garbage collection is running; export when it has finished");
        var wanted = await WantedLinksAsync(cancellationToken);

        int written = 0, removed = 0;
        var existing = new HashSet<string>(StringComparer.Ordinal);
        var stale = new List<string>();
        var root = StorageLayout.Repositories + "/";
        await foreach (var item in storage.ListAllAsync(root, cancellationToken))
        {
            if (!IsLinkTreeKey(item.Key[root.Length..])) continue;
            if (wanted.Links.TryGetValue(item.Key, out var content) && await HoldsAsync(item.Key, content, cancellationToken)) existing.Add(item.Key);
            else if (!wanted.Links.ContainsKey(item.Key)) stale.Add(item.Key);
        }
        foreach (var (key, content) in wanted.Links)
        {
            if (existing.Contains(key)) continue;
            await storage.PutAsync(key, new MemoryStream(Encoding.ASCII.GetBytes(content)), cancellationToken);
            written++;
        }
        foreach (var batch in stale.Chunk(StorageListing.DefaultPageSize))
        {
            await storage.DeleteManyAsync(batch, cancellationToken);
            removed += batch.Length;
        }
        await DistributionSync.MarkAsync(storage, "export", cancellationToken);

        var report = new ExportReport(wanted.Repositories, wanted.Tags, wanted.Revisions, wanted.Layers, written, removed);
        LogDone(logger, report.Repositories, report.Tags, report.Revisions, report.Layers, report.Written, report.Removed);
        return report;
    }

    private sealed record Wanted(Dictionary<string, string> Links, int Repositories, int Tags, int Revisions, int Layers);

    /// <summary>Every link file the current metadata calls for, with its content (a digest, as distribution writes it).</summary>
    private async Task<Wanted> WantedLinksAsync(CancellationToken cancellationToken)
    {
        // One transaction: a consistent picture even while a Wharf serves.
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var repositories = await db.Repositories.AsNoTracking().Select(r => new { r.Id, r.Name }).ToDictionaryAsync(r => r.Id, r => r.Name, cancellationToken);
        var present = db.Blobs.Where(b => b.DeletingSince == null);
        var manifests = await db.Manifests.AsNoTracking().Select(m => new { m.RepositoryId, m.Digest }).ToListAsync(cancellationToken);
        var tags = await db.Tags.AsNoTracking().Select(t => new { t.RepositoryId, t.Name, t.ManifestDigest }).ToListAsync(cancellationToken);
        var linked = await db.RepositoryBlobs.AsNoTracking().Where(l => present.Any(b => b.Digest == l.Digest))
            .Select(l => new { l.RepositoryId, l.Digest }).ToListAsync(cancellationToken);
        // What a manifest references is linked in its repository too (distribution serves a blob only through a link).
        var referenced = await db.Manifests.AsNoTracking().SelectMany(m => m.References.Where(r => r.Kind != ReferenceKind.Manifest)
                .Where(r => present.Any(b => b.Digest == r.Digest)), (m, r) => new { m.RepositoryId, r.Digest })
            .ToListAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var served = manifests.Select(m => m.RepositoryId).ToHashSet();
        int tagCount = 0, revisionCount = 0, layerCount = 0;
        foreach (var m in manifests)
            if (links.TryAdd(StorageLayout.RevisionLink(repositories[m.RepositoryId], Digest.Parse(m.Digest)), m.Digest)) revisionCount++;
        foreach (var t in tags)
        {
            var name = repositories[t.RepositoryId];
            var digest = Digest.Parse(t.ManifestDigest);
            links[StorageLayout.TagCurrentLink(name, t.Name)] = t.ManifestDigest;
            links[StorageLayout.TagIndexLink(name, t.Name, digest)] = t.ManifestDigest;
            tagCount++;
        }
        // Layer links only where the repository holds a manifest: distribution lists a repository that has a
        // _manifests directory, and Wharf's catalog hides one without manifests, so neither shows it.
        foreach (var l in linked.Concat(referenced))
            if (served.Contains(l.RepositoryId) && links.TryAdd(StorageLayout.LayerLink(repositories[l.RepositoryId], Digest.Parse(l.Digest)), l.Digest)) layerCount++;
        return new Wanted(links, served.Count, tagCount, revisionCount, layerCount);
    }

    /// <summary>Whether a key below <c>repositories/</c> is one of distribution's link-tree files (not <c>_uploads</c>).</summary>
    private static bool IsLinkTreeKey(string path)
    {
        var i = path.IndexOf("/_", StringComparison.Ordinal);
        if (i < 0) return false;
        var rest = path[(i + 1)..];
        return rest.StartsWith("_manifests/", StringComparison.Ordinal) || rest.StartsWith("_layers/", StringComparison.Ordinal);
    }

    private async Task<bool> HoldsAsync(string key, string content, CancellationToken cancellationToken) =>
        await DistributionTree.ReadLinkAsync(storage, key, cancellationToken) is { } digest && digest.ToString() == content;

    [LoggerMessage(Level = LogLevel.Information, Message = "Export to distribution's link files done: {Repositories} repositories, {Tags} tags, {Revisions} manifest revisions, {Layers} layer links; {Written} link files written, {Removed} removed")]
    private static partial void LogDone(ILogger logger, int repositories, int tags, int revisions, int layers, int written, int removed);
}
