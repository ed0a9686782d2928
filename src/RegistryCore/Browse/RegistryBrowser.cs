using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Browse;

/// <summary>
/// Read-only views of the registry for the portal: totals, repositories, tags, manifests and layer sharing, all
/// answered from the metadata database (and, for image configs, the small config blob).
/// </summary>
public sealed class RegistryBrowser(RegistryDbContext db, BlobStore store)
{
    private const long MaxConfigBytes = 1024 * 1024;

    public async Task<RegistryTotals> TotalsAsync(CancellationToken cancellationToken) => new(
        await db.Repositories.CountAsync(r => db.Manifests.Any(m => m.RepositoryId == r.Id), cancellationToken),
        await db.Tags.CountAsync(cancellationToken),
        await db.Manifests.CountAsync(cancellationToken),
        await db.Blobs.CountAsync(cancellationToken),
        await db.Blobs.SumAsync(b => (long?)b.Size, cancellationToken) ?? 0);

    /// <summary>A page of repositories (those holding at least one manifest), searched by substring and sorted.</summary>
    public async Task<RepositoryPage> RepositoriesAsync(string? search, RepositorySort sort, bool descending, int skip, int take, CancellationToken cancellationToken)
    {
        var repositories = db.Repositories.Where(r => db.Manifests.Any(m => m.RepositoryId == r.Id));
        if (!string.IsNullOrWhiteSpace(search)) repositories = repositories.Where(r => r.Name.Contains(search.Trim().ToLower()));

        var rows = repositories.Select(r => new
        {
            r.Name,
            TagCount = db.Tags.Count(t => t.RepositoryId == r.Id),
            ManifestCount = db.Manifests.Count(m => m.RepositoryId == r.Id),
            Size = (from rb in db.RepositoryBlobs
                    join b in db.Blobs on rb.Digest equals b.Digest
                    where rb.RepositoryId == r.Id
                    select (long?)b.Size).Sum() ?? 0,
            LastPush = db.Manifests.Where(m => m.RepositoryId == r.Id).Max(m => (DateTime?)m.PushedAt),
        });
        rows = (sort, descending) switch
        {
            (RepositorySort.Tags, false) => rows.OrderBy(x => x.TagCount).ThenBy(x => x.Name),
            (RepositorySort.Tags, true) => rows.OrderByDescending(x => x.TagCount).ThenBy(x => x.Name),
            (RepositorySort.Size, false) => rows.OrderBy(x => x.Size).ThenBy(x => x.Name),
            (RepositorySort.Size, true) => rows.OrderByDescending(x => x.Size).ThenBy(x => x.Name),
            (RepositorySort.LastPush, false) => rows.OrderBy(x => x.LastPush).ThenBy(x => x.Name),
            (RepositorySort.LastPush, true) => rows.OrderByDescending(x => x.LastPush).ThenBy(x => x.Name),
            (_, true) => rows.OrderByDescending(x => x.Name),
            _ => rows.OrderBy(x => x.Name),
        };
        var total = await repositories.CountAsync(cancellationToken);
        var page = await rows.Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new RepositoryPage(page.Select(x => new RepositorySummary(x.Name, x.TagCount, x.ManifestCount, x.Size, x.LastPush)).ToList(), total);
    }

    public async Task<List<TagSummary>> TagsAsync(string repository, CancellationToken cancellationToken)
    {
        var rows = await (from t in db.Tags
                          join r in db.Repositories on t.RepositoryId equals r.Id
                          join m in db.Manifests on new { t.RepositoryId, Digest = t.ManifestDigest } equals new { m.RepositoryId, m.Digest }
                          where r.Name == repository
                          orderby t.Name
                          select new { t.Name, m.Id, m.Digest, m.MediaType, m.Size, m.ConfigDigest, t.UpdatedAt }).ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var references = await db.ManifestReferences.Where(x => ids.Contains(x.ManifestId)).ToListAsync(cancellationToken);
        var byManifest = references.ToLookup(x => x.ManifestId);

        var result = new List<TagSummary>(rows.Count);
        foreach (var row in rows)
        {
            var refs = byManifest[row.Id].ToList();
            IReadOnlyList<string> platforms = MediaTypes.IsIndex(row.MediaType)
                ? refs.Where(x => x.Kind == ReferenceKind.Manifest && x.Platform is not null).Select(x => x.Platform!).Distinct().ToList()
                : await ImagePlatformAsync(row.ConfigDigest, cancellationToken) is { } p ? [p] : [];
            var total = row.Size + refs.Sum(x => x.Size);
            result.Add(new TagSummary(row.Name, row.Digest, row.MediaType, total, platforms, row.UpdatedAt));
        }
        return result;
    }

    public async Task<ManifestDetails?> ManifestAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        var manifest = await (from m in db.Manifests.Include(m => m.References)
                              join r in db.Repositories on m.RepositoryId equals r.Id
                              where r.Name == repository && m.Digest == digest
                              select m).FirstOrDefaultAsync(cancellationToken);
        if (manifest is null) return null;
        var tags = await db.Tags.Where(t => t.RepositoryId == manifest.RepositoryId && t.ManifestDigest == digest)
            .OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(cancellationToken);
        var refs = manifest.References.OrderBy(x => x.Ordinal).ToList();
        var config = refs.Where(x => x.Kind == ReferenceKind.Config).Select(x => new LayerInfo(x.Digest, x.MediaType, x.Size)).FirstOrDefault();
        var referrers = await db.Manifests.Where(m => m.RepositoryId == manifest.RepositoryId && m.SubjectDigest == digest)
            .OrderBy(m => m.PushedAt).Select(m => new ReferrerInfo(m.Digest, m.ArtifactType, m.Size)).ToListAsync(cancellationToken);
        return new ManifestDetails(repository, manifest.Digest, manifest.MediaType, manifest.Size, manifest.PushedAt, tags, config,
            refs.Where(x => x.Kind == ReferenceKind.Layer).Select(x => new LayerInfo(x.Digest, x.MediaType, x.Size)).ToList(),
            refs.Where(x => x.Kind == ReferenceKind.Manifest).Select(x => new ChildManifestInfo(x.Digest, x.MediaType, x.Size, x.Platform)).ToList(),
            config is null ? null : await ReadImageConfigAsync(config.Digest, cancellationToken),
            referrers, manifest.SubjectDigest);
    }

    /// <summary>Every repository, manifest and tag that uses a blob (as a layer, config or child manifest).</summary>
    public async Task<List<BlobUse>> BlobUsesAsync(string digest, CancellationToken cancellationToken)
    {
        var rows = await (from x in db.ManifestReferences
                          join m in db.Manifests on x.ManifestId equals m.Id
                          join r in db.Repositories on m.RepositoryId equals r.Id
                          where x.Digest == digest
                          select new { Repository = r.Name, m.RepositoryId, m.Digest, x.Kind }).Distinct().ToListAsync(cancellationToken);
        var result = new List<BlobUse>();
        foreach (var row in rows.OrderBy(r => r.Repository, StringComparer.Ordinal).ThenBy(r => r.Digest, StringComparer.Ordinal))
        {
            var tags = await db.Tags.Where(t => t.RepositoryId == row.RepositoryId && t.ManifestDigest == row.Digest)
                .OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(cancellationToken);
            result.Add(new BlobUse(row.Repository, row.Digest, tags, row.Kind.ToString().ToLowerInvariant()));
        }
        return result;
    }

    /// <summary>
    /// Which of a repository's layers (and configs) other repositories also use, and how many of its bytes are its
    /// own: what deleting the repository would free.
    /// </summary>
    public async Task<RepositorySharing?> SharingAsync(string repository, CancellationToken cancellationToken)
    {
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is null) return null;
        var own = await (from x in db.ManifestReferences
                         join m in db.Manifests on x.ManifestId equals m.Id
                         where m.RepositoryId == repositoryId && x.Kind != ReferenceKind.Manifest
                         select new { x.Digest, x.Size }).Distinct().ToListAsync(cancellationToken);
        var digests = own.Select(x => x.Digest).Distinct().ToList();
        var others = await (from x in db.ManifestReferences
                            join m in db.Manifests on x.ManifestId equals m.Id
                            join r in db.Repositories on m.RepositoryId equals r.Id
                            where m.RepositoryId != repositoryId && digests.Contains(x.Digest)
                            select new { r.Name, x.Digest }).Distinct().ToListAsync(cancellationToken);
        var sizes = own.GroupBy(x => x.Digest).ToDictionary(g => g.Key, g => g.First().Size);
        var sharedDigests = others.Select(o => o.Digest).ToHashSet();
        var sharedWith = others.GroupBy(o => o.Name)
            .Select(g => new SharedWith(g.Key, g.Count(), g.Sum(o => sizes[o.Digest])))
            .OrderByDescending(s => s.Bytes).ThenBy(s => s.Repository).ToList();
        var total = sizes.Values.Sum();
        var shared = sizes.Where(kv => sharedDigests.Contains(kv.Key)).Sum(kv => kv.Value);
        return new RepositorySharing(repository, sizes.Count, total, total - shared, shared, sharedWith);
    }

    private async Task<string?> ImagePlatformAsync(string? configDigest, CancellationToken cancellationToken)
    {
        var config = configDigest is null ? null : await ReadImageConfigAsync(configDigest, cancellationToken);
        return config?.Os is null ? null : $"{config.Os}/{config.Architecture}";
    }

    private async Task<ImageConfigInfo?> ReadImageConfigAsync(string digest, CancellationToken cancellationToken)
    {
        if (!Digest.TryParse(digest, out var d)) return null;
        var bytes = await store.ReadAllAsync(d.Value, MaxConfigBytes, cancellationToken);
        return bytes is null ? null : ImageConfigReader.Read(bytes);
    }
}
