using Microsoft.EntityFrameworkCore;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Idempotent writes of repositories and blob links. Written as <c>INSERT … ON CONFLICT DO NOTHING</c> (valid on
/// SQLite and PostgreSQL alike) because concurrent pushes to one repository are normal and must not collide.
/// </summary>
public static class RepositoryStore
{
    public static async Task<long> EnsureRepositoryAsync(this RegistryDbContext db, string name, CancellationToken cancellationToken)
    {
        var existing = await db.Repositories.Where(r => r.Name == name).Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id) return id;
        var now = DateTime.UtcNow;
        await db.Database.ExecuteSqlAsync(
            $"""INSERT INTO "Repositories" ("Name", "CreatedAt") VALUES ({name}, {now}) ON CONFLICT DO NOTHING""", cancellationToken);
        return await db.Repositories.Where(r => r.Name == name).Select(r => r.Id).FirstAsync(cancellationToken);
    }

    public static Task<long?> FindRepositoryAsync(this RegistryDbContext db, string name, CancellationToken cancellationToken) =>
        db.Repositories.Where(r => r.Name == name).Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);

    public static async Task RecordBlobAsync(this RegistryDbContext db, string digest, long size, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        await db.Database.ExecuteSqlAsync(
            $"""INSERT INTO "Blobs" ("Digest", "Size", "CreatedAt") VALUES ({digest}, {size}, {now}) ON CONFLICT DO NOTHING""", cancellationToken);
    }

    /// <summary>
    /// Links a blob into a repository, or refreshes the link's time when it is there already: garbage collection
    /// never takes a blob linked within its grace period, so a blob uploaded or mounted again is safe until its
    /// manifest arrives.
    /// </summary>
    public static async Task LinkBlobAsync(this RegistryDbContext db, long repositoryId, string digest, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "RepositoryBlobs" ("RepositoryId", "Digest", "LinkedAt") VALUES ({repositoryId}, {digest}, {now})
            ON CONFLICT ("RepositoryId", "Digest") DO UPDATE SET "LinkedAt" = excluded."LinkedAt"
            """, cancellationToken);
    }

    /// <summary>Points a tag at a manifest, bumping the repository's tag generation first (<see cref="TagGenerations"/>).</summary>
    public static async Task UpsertTagAsync(this RegistryDbContext db, long repositoryId, string tag, string digest, CancellationToken cancellationToken)
    {
        await db.BumpAsync(repositoryId, cancellationToken);
        var now = DateTime.UtcNow;
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "Tags" ("RepositoryId", "Name", "ManifestDigest", "UpdatedAt") VALUES ({repositoryId}, {tag}, {digest}, {now})
            ON CONFLICT ("RepositoryId", "Name") DO UPDATE SET "ManifestDigest" = excluded."ManifestDigest", "UpdatedAt" = excluded."UpdatedAt"
            """, cancellationToken);
    }
}
