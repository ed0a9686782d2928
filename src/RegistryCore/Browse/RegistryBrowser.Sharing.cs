using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Browse;

public sealed partial class RegistryBrowser
{
    /// <summary>How many of the repositories a repository shares most bytes with the sharing summary names (its bar chart).</summary>
    public const int LargestSharers = 15;

    /// <summary>A repository's layers and configs, each digest once with its size.</summary>
    private IQueryable<OwnBlobRow> OwnBlobs(long repositoryId) =>
        from x in db.ManifestReferences
        join m in db.Manifests on x.ManifestId equals m.Id
        where m.RepositoryId == repositoryId && x.Kind != ReferenceKind.Manifest
        group x.Size by x.Digest into g
        select new OwnBlobRow { Digest = g.Key, Size = g.Max() };

    /// <summary>The (other visible repository, digest) pairs where another repository uses one of this one's blobs.</summary>
    private IQueryable<SharedBlobRow> SharedBlobs(RepositoryVisibility visibility, long repositoryId)
    {
        var own = OwnBlobs(repositoryId).Select(o => o.Digest);
        return (from x in db.ManifestReferences
                join m in db.Manifests on x.ManifestId equals m.Id
                join r in visibility.Apply(db.Repositories) on m.RepositoryId equals r.Id
                where m.RepositoryId != repositoryId && own.Contains(x.Digest)
                select new SharedBlobRow { Repository = r.Name, Digest = x.Digest }).Distinct();
    }

    /// <summary>Each other visible repository with how many of this one's blobs it uses and their bytes.</summary>
    private IQueryable<SharedWithRow> SharedWithRows(RepositoryVisibility visibility, long repositoryId) =>
        from s in SharedBlobs(visibility, repositoryId)
        join o in OwnBlobs(repositoryId) on s.Digest equals o.Digest
        group o.Size by s.Repository into g
        select new SharedWithRow { Repository = g.Key, Layers = g.Count(), Bytes = g.Sum() };

    // Classes with settable members, not positional records: EF Core composes further operators over member-init projections only.
    private sealed class OwnBlobRow
    {
        public required string Digest { get; init; }
        public long Size { get; init; }
    }

    private sealed class SharedBlobRow
    {
        public required string Repository { get; init; }
        public required string Digest { get; init; }
    }

    private sealed class SharedWithRow
    {
        public required string Repository { get; init; }
        public int Layers { get; init; }
        public long Bytes { get; init; }
    }

    /// <summary>
    /// How many of a repository's bytes other visible repositories share and how many no visible repository does:
    /// for an Admin (who sees everything), what deleting the repository would free. Aggregated in the database, with
    /// the <see cref="LargestSharers"/> repositories it shares most bytes with; null when the reader may not see it.
    /// </summary>
    public async Task<RepositorySharing?> SharingAsync(RepositoryVisibility visibility, string repository, CancellationToken cancellationToken)
    {
        if (!visibility.Allows(repository)) return null;
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is not { } id) return null;
        var own = OwnBlobs(id);
        var sharedDigests = SharedBlobs(visibility, id).Select(s => s.Digest);
        var layers = await own.CountAsync(cancellationToken);
        var total = await own.SumAsync(o => (long?)o.Size, cancellationToken) ?? 0;
        var shared = await own.Where(o => sharedDigests.Contains(o.Digest)).SumAsync(o => (long?)o.Size, cancellationToken) ?? 0;
        var repositories = await SharedWithRows(visibility, id).CountAsync(cancellationToken);
        var largest = await SharedWithPageAsync(visibility, id, SharingSort.Bytes, true, 0, LargestSharers, cancellationToken);
        return new RepositorySharing(repository, layers, total, total - shared, shared, repositories, largest);
    }

    /// <summary>A page of the other visible repositories a repository shares layers with, sorted in the database; null when the reader may not see it.</summary>
    public async Task<Page<SharedWith>?> SharedWithAsync(RepositoryVisibility visibility, string repository, SharingSort sort, bool descending,
        int skip, int take, CancellationToken cancellationToken)
    {
        if (!visibility.Allows(repository)) return null;
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is not { } id) return null;
        var total = await SharedWithRows(visibility, id).CountAsync(cancellationToken);
        return new Page<SharedWith>(await SharedWithPageAsync(visibility, id, sort, descending, skip, take, cancellationToken), total);
    }

    private async Task<IReadOnlyList<SharedWith>> SharedWithPageAsync(RepositoryVisibility visibility, long repositoryId, SharingSort sort, bool descending,
        int skip, int take, CancellationToken cancellationToken)
    {
        var rows = SharedWithRows(visibility, repositoryId);
        rows = (sort, descending) switch
        {
            (SharingSort.Bytes, false) => rows.OrderBy(s => s.Bytes).ThenBy(s => s.Repository),
            (SharingSort.Bytes, true) => rows.OrderByDescending(s => s.Bytes).ThenBy(s => s.Repository),
            (SharingSort.Layers, false) => rows.OrderBy(s => s.Layers).ThenBy(s => s.Repository),
            (SharingSort.Layers, true) => rows.OrderByDescending(s => s.Layers).ThenBy(s => s.Repository),
            (_, true) => rows.OrderByDescending(s => s.Repository),
            _ => rows.OrderBy(s => s.Repository),
        };
        var page = await rows.Skip(skip).Take(take).ToListAsync(cancellationToken);
        return page.Select(s => new SharedWith(s.Repository, s.Layers, s.Bytes)).ToList();
    }
}
