using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Catalog;

/// <summary>A page of a sorted listing, and whether more follows it.</summary>
public sealed record Page(IReadOnlyList<string> Items, bool HasMore);

/// <summary>A repository's id and the generation of its tags (<see cref="Metadata.TagGenerations"/>).</summary>
public sealed record TagListState(long RepositoryId, long Generation);

/// <summary>
/// Tag and repository listings straight from the metadata, sorted by ordinal comparison, with <c>n</c>/<c>last</c>
/// paging. A repository is listed while it holds at least one manifest, so an emptied one disappears at once.
/// </summary>
public sealed class CatalogService(RegistryDbContext db)
{
    public const int MaxPageSize = 10_000;

    private static readonly Func<RegistryDbContext, string, CancellationToken, Task<TagListState?>> StateQuery =
        EF.CompileAsyncQuery((RegistryDbContext db, string name, CancellationToken _) =>
            db.Repositories.Where(r => r.Name == name).Select(r => new TagListState(r.Id, r.TagGeneration)).FirstOrDefault());

    /// <summary>The repository's id and tag generation (one row by its unique name); null when the repository is unknown.</summary>
    public Task<TagListState?> TagListStateAsync(string repository, CancellationToken cancellationToken) =>
        StateQuery(db, repository, cancellationToken);

    public Task<Page> TagsAsync(long repositoryId, int? n, string? last, CancellationToken cancellationToken) =>
        PageAsync(db.Tags.Where(t => t.RepositoryId == repositoryId).Select(t => t.Name), n, last, cancellationToken);

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
