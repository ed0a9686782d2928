using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Catalog;

/// <summary>A page of a sorted listing, and whether more follows it.</summary>
public sealed record Page(IReadOnlyList<string> Items, bool HasMore);

/// <summary>
/// Tag and repository listings straight from the metadata, sorted by ordinal comparison, with <c>n</c>/<c>last</c>
/// paging. A repository is listed while it holds at least one manifest, so an emptied one disappears at once.
/// </summary>
public sealed class CatalogService(RegistryDbContext db)
{
    public const int MaxPageSize = 10_000;

    /// <returns>Null when the repository is unknown.</returns>
    public async Task<Page?> TagsAsync(string repository, int? n, string? last, CancellationToken cancellationToken)
    {
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is null) return null;
        var query = db.Tags.Where(t => t.RepositoryId == repositoryId).Select(t => t.Name);
        return await PageAsync(query, n, last, cancellationToken);
    }

    public Task<Page> RepositoriesAsync(int? n, string? last, CancellationToken cancellationToken)
    {
        var query = db.Repositories.Where(r => db.Manifests.Any(m => m.RepositoryId == r.Id)).Select(r => r.Name);
        return PageAsync(query, n, last, cancellationToken);
    }

    private static async Task<Page> PageAsync(IQueryable<string> names, int? n, string? last, CancellationToken cancellationToken)
    {
        // SQLite's BINARY collation and PostgreSQL's "C" collation both order by bytes, which for these ASCII names is ordinal order.
        if (!string.IsNullOrEmpty(last)) names = names.Where(x => string.Compare(x, last) > 0);
        names = names.OrderBy(x => x);
        var size = Math.Min(n ?? MaxPageSize, MaxPageSize);
        if (size == 0) return new Page([], false);
        var items = await names.Take(size + 1).ToListAsync(cancellationToken);
        var hasMore = items.Count > size;
        if (hasMore) items.RemoveAt(items.Count - 1);
        return new Page(items, hasMore);
    }
}
