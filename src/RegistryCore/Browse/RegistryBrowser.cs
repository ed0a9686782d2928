using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Browse;

/// <summary>
/// Read-only views of the registry for the portal: totals, repositories, tags, manifests, blobs and layer sharing,
/// answered from the metadata database (and, for image configs and raw manifests, the small blobs). Every query takes
/// the reader's <see cref="RepositoryVisibility"/> and filters and pages in the database.
/// </summary>
public sealed partial class RegistryBrowser(RegistryDbContext db, BlobStore store)
{
    private const long MaxConfigBytes = 1024 * 1024;
    private const long MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>Repositories that hold at least one manifest and that the reader may see.</summary>
    private IQueryable<RepositoryRecord> Visible(RepositoryVisibility visibility) =>
        visibility.Apply(db.Repositories).Where(r => db.Manifests.Any(m => m.RepositoryId == r.Id));

    public async Task<RegistryTotals> TotalsAsync(RepositoryVisibility visibility, CancellationToken cancellationToken)
    {
        var repositories = Visible(visibility);
        var ids = repositories.Select(r => r.Id);
        var tags = await db.Tags.CountAsync(t => ids.Contains(t.RepositoryId), cancellationToken);
        var manifests = await db.Manifests.CountAsync(m => ids.Contains(m.RepositoryId), cancellationToken);
        if (visibility.All)
        {
            return new RegistryTotals(await repositories.CountAsync(cancellationToken), tags, manifests,
                await db.Blobs.CountAsync(cancellationToken), await db.Blobs.SumAsync(b => (long?)b.Size, cancellationToken) ?? 0);
        }
        // Only the blobs linked into repositories the reader may see, each counted once.
        var blobs = db.Blobs.Where(b => db.RepositoryBlobs.Any(rb => rb.Digest == b.Digest && ids.Contains(rb.RepositoryId)));
        return new RegistryTotals(await repositories.CountAsync(cancellationToken), tags, manifests,
            await blobs.CountAsync(cancellationToken), await blobs.SumAsync(b => (long?)b.Size, cancellationToken) ?? 0);
    }

    /// <summary>A page of repositories, searched by case-insensitive substring and sorted.</summary>
    public async Task<Page<RepositorySummary>> RepositoriesAsync(RepositoryVisibility visibility, string? search, RepositorySort sort, bool descending,
        int skip, int take, CancellationToken cancellationToken)
    {
        var repositories = Visible(visibility);
        // Repository names are lower case by the name grammar, so lowering the search is a case-insensitive match.
        if (!string.IsNullOrWhiteSpace(search)) repositories = repositories.Where(r => r.Name.Contains(search.Trim().ToLowerInvariant()));

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
        return new Page<RepositorySummary>(page.Select(x => new RepositorySummary(x.Name, x.TagCount, x.ManifestCount, x.Size, x.LastPush)).ToList(), total);
    }

    /// <summary>Whether the repository exists (holds a manifest) and the reader may see it.</summary>
    public Task<bool> CanSeeAsync(RepositoryVisibility visibility, string repository, CancellationToken cancellationToken) =>
        visibility.Allows(repository)
            ? Visible(visibility).AnyAsync(r => r.Name == repository, cancellationToken)
            : Task.FromResult(false);

    /// <summary>A page of a repository's tags, searched by case-insensitive substring; null when the reader may not see it.</summary>
    public async Task<Page<TagSummary>?> TagsAsync(RepositoryVisibility visibility, string repository, string? search, TagSort sort, bool descending,
        int skip, int take, CancellationToken cancellationToken)
    {
        if (!visibility.Allows(repository)) return null;
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is null) return null;
        var tags = db.Tags.Where(t => t.RepositoryId == repositoryId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var needle = search.Trim().ToLowerInvariant();
            tags = tags.Where(t => t.Name.ToLower().Contains(needle));
        }
        tags = (sort, descending) switch
        {
            (TagSort.Name, false) => tags.OrderBy(t => t.Name),
            (TagSort.Name, true) => tags.OrderByDescending(t => t.Name),
            (_, false) => tags.OrderBy(t => t.UpdatedAt).ThenBy(t => t.Name),
            _ => tags.OrderByDescending(t => t.UpdatedAt).ThenBy(t => t.Name),
        };
        var total = await tags.CountAsync(cancellationToken);
        var rows = await (from t in tags.Skip(skip).Take(take)
                          join m in db.Manifests on new { t.RepositoryId, Digest = t.ManifestDigest } equals new { m.RepositoryId, m.Digest }
                          select new { t.Name, t.UpdatedAt, m.Id, m.Digest, m.MediaType, m.Platform }).ToListAsync(cancellationToken);
        // The ordering of the page is lost by the join in some providers: restore it from the tag query.
        rows = (sort, descending) switch
        {
            (TagSort.Name, false) => rows.OrderBy(r => r.Name, StringComparer.Ordinal).ToList(),
            (TagSort.Name, true) => rows.OrderByDescending(r => r.Name, StringComparer.Ordinal).ToList(),
            (_, false) => rows.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Name, StringComparer.Ordinal).ToList(),
            _ => rows.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.Name, StringComparer.Ordinal).ToList(),
        };

        var ids = rows.Select(r => r.Id).Distinct().ToList();
        var references = (await db.ManifestReferences.Where(x => ids.Contains(x.ManifestId)).ToListAsync(cancellationToken)).ToLookup(x => x.ManifestId);
        var childSizes = await ImageSizesAsync(repositoryId.Value,
            references.SelectMany(g => g).Where(x => x.Kind == ReferenceKind.Manifest).Select(x => x.Digest), cancellationToken);
        // The platform is on the row (read from the config when the manifest was recorded); rows recorded without it
        // are filled in now, once.
        var filled = await ManifestPlatforms.FillAsync(db, store, rows
            .Where(r => r.Platform is null && !MediaTypes.IsIndex(r.MediaType) && !references[r.Id].Any(x => x.Kind == ReferenceKind.Manifest))
            .DistinctBy(r => r.Id)
            .Select(r => references[r.Id].FirstOrDefault(x => x.Kind == ReferenceKind.Config) is { } config
                ? new ManifestPlatforms.Missing(r.Id, config.Digest, config.MediaType, config.Size)
                : new ManifestPlatforms.Missing(r.Id, null, null, 0))
            .ToList(), cancellationToken);

        var result = new List<TagSummary>(rows.Count);
        foreach (var row in rows)
        {
            var refs = references[row.Id].ToList();
            var children = refs.Where(x => x.Kind == ReferenceKind.Manifest).ToList();
            var isIndex = MediaTypes.IsIndex(row.MediaType) || children.Count > 0;
            IReadOnlyList<string> platforms = isIndex
                ? children.Where(x => !string.IsNullOrEmpty(x.Platform)).Select(x => x.Platform!).Distinct().ToList()
                : (row.Platform ?? filled.GetValueOrDefault(row.Id)) is { Length: > 0 } p ? [p] : [];
            var size = isIndex
                ? children.Select(c => c.Digest).Distinct().Sum(d => childSizes.GetValueOrDefault(d))
                : refs.Where(x => x.Kind != ReferenceKind.Manifest).Sum(x => x.Size);
            result.Add(new TagSummary(row.Name, row.Digest, row.MediaType, size, platforms, row.UpdatedAt));
        }
        return new Page<TagSummary>(result, total);
    }

    /// <summary>Config plus layers of each of these manifests of a repository: an image's compressed size.</summary>
    private async Task<Dictionary<string, long>> ImageSizesAsync(long repositoryId, IEnumerable<string> digests, CancellationToken cancellationToken)
    {
        var list = digests.Distinct().ToList();
        if (list.Count == 0) return [];
        var sizes = await (from m in db.Manifests
                           where m.RepositoryId == repositoryId && list.Contains(m.Digest)
                           select new
                           {
                               m.Digest,
                               Size = db.ManifestReferences.Where(x => x.ManifestId == m.Id && x.Kind != ReferenceKind.Manifest).Sum(x => (long?)x.Size) ?? 0,
                           }).ToListAsync(cancellationToken);
        return sizes.GroupBy(s => s.Digest).ToDictionary(g => g.Key, g => g.First().Size);
    }

    private async Task<byte[]?> ReadSmallBlobAsync(string digest, long maxBytes, CancellationToken cancellationToken) =>
        Digest.TryParse(digest, out var d) ? await store.ReadAllAsync(d.Value, maxBytes, cancellationToken) : null;
}
