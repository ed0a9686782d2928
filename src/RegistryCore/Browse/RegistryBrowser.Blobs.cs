using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Browse;

public sealed partial class RegistryBrowser
{
    /// <summary>
    /// Which manifest references to a blob the reader may see: those of visible repositories. A blob that only
    /// repositories the reader may not see use is, for them, not there.
    /// </summary>
    private IQueryable<BlobUseRow> UsesOf(RepositoryVisibility visibility, string digest) =>
        from x in db.ManifestReferences
        join m in db.Manifests on x.ManifestId equals m.Id
        join r in visibility.Apply(db.Repositories) on m.RepositoryId equals r.Id
        where x.Digest == digest
        select new BlobUseRow { Repository = r.Name, RepositoryId = m.RepositoryId, ManifestDigest = m.Digest, Kind = x.Kind, MediaType = x.MediaType };

    // A class with settable members, not a positional record: EF Core composes further operators over member-init projections only.
    private sealed class BlobUseRow
    {
        public required string Repository { get; init; }
        public long RepositoryId { get; init; }
        public required string ManifestDigest { get; init; }
        public ReferenceKind Kind { get; init; }
        public required string MediaType { get; init; }
    }

    /// <summary>Size, media type and how many visible manifests use a blob; null when none the reader may see does.</summary>
    public async Task<BlobDetails?> BlobAsync(RepositoryVisibility visibility, string digest, CancellationToken cancellationToken)
    {
        var uses = UsesOf(visibility, digest);
        var manifests = await uses.Select(u => new { u.RepositoryId, u.ManifestDigest }).Distinct().CountAsync(cancellationToken);
        var size = await db.Blobs.Where(b => b.Digest == digest).Select(b => (long?)b.Size).FirstOrDefaultAsync(cancellationToken);
        // An unreferenced blob (garbage collection's next catch) is shown to Admins only: nobody else may see it.
        if (manifests == 0 && !(visibility.All && size is not null)) return null;
        var mediaType = await uses.Select(u => u.MediaType).FirstOrDefaultAsync(cancellationToken);
        var repositories = await uses.Select(u => u.RepositoryId).Distinct().CountAsync(cancellationToken);
        return new BlobDetails(digest, size, mediaType, manifests, repositories);
    }

    /// <summary>A page of the visible manifests that use a blob (as a layer, config or child manifest), by repository then digest.</summary>
    public async Task<Page<BlobUse>> BlobUsesAsync(RepositoryVisibility visibility, string digest, bool descending, int skip, int take, CancellationToken cancellationToken)
    {
        var uses = UsesOf(visibility, digest).Select(u => new { u.Repository, u.RepositoryId, u.ManifestDigest, u.Kind }).Distinct();
        var total = await uses.CountAsync(cancellationToken);
        var ordered = descending
            ? uses.OrderByDescending(u => u.Repository).ThenBy(u => u.ManifestDigest)
            : uses.OrderBy(u => u.Repository).ThenBy(u => u.ManifestDigest);
        var rows = await ordered.Skip(skip).Take(take).ToListAsync(cancellationToken);

        var repositoryIds = rows.Select(r => r.RepositoryId).Distinct().ToList();
        var manifestDigests = rows.Select(r => r.ManifestDigest).Distinct().ToList();
        var tags = (await db.Tags.Where(t => repositoryIds.Contains(t.RepositoryId) && manifestDigests.Contains(t.ManifestDigest))
                .Select(t => new { t.RepositoryId, t.ManifestDigest, t.Name }).ToListAsync(cancellationToken))
            .ToLookup(t => (t.RepositoryId, t.ManifestDigest), t => t.Name);
        var items = rows
            .Select(r => new BlobUse(r.Repository, r.ManifestDigest, tags[(r.RepositoryId, r.ManifestDigest)].Order(StringComparer.Ordinal).ToList(),
                r.Kind.ToString().ToLowerInvariant()))
            .ToList();
        return new Page<BlobUse>(items, total);
    }
}
