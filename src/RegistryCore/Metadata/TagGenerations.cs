using Microsoft.EntityFrameworkCore;

namespace Wharf.Registry.Metadata;

/// <summary>
/// The one rule for changing tags: a transaction that inserts, moves or deletes a repository's tags first bumps the
/// repository's <see cref="RepositoryRecord.TagGeneration"/>, in the same transaction. Readers on any instance compare
/// the generation they read with the one a cached answer was built under (<see cref="Caching.TagListCache"/>), so a
/// committed change is seen by the next request everywhere; docs/cluster.md has the argument.
/// </summary>
/// <remarks>
/// First, not last: the UPDATE takes the repository row's lock (PostgreSQL; SQLite's one write lock covers it), so
/// every transaction that changes tags takes that lock before any manifest or tag row. Taking them in one order is
/// what keeps a delete by digest and a push of the same manifest from waiting on each other in a cycle.
/// </remarks>
public static class TagGenerations
{
    public static async Task BumpAsync(this RegistryDbContext db, long repositoryId, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync(
            $"""UPDATE "Repositories" SET "TagGeneration" = "TagGeneration" + 1 WHERE "Id" = {repositoryId}""", cancellationToken);

    /// <summary>Bumps several repositories, in ascending id order (the lock order when one transaction changes several).</summary>
    public static async Task BumpAsync(this RegistryDbContext db, IEnumerable<long> repositoryIds, CancellationToken cancellationToken)
    {
        foreach (var id in repositoryIds.Distinct().Order()) await db.BumpAsync(id, cancellationToken);
    }
}
