using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Manifests;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Writes what the cache fetched into the ordinary metadata: a cached manifest is a manifest of its repository (with
/// its references, so garbage collection follows them, and its tag), a fetched blob is linked there, and the
/// repository is recorded as the cache's. Runs outside any request (a fetch outlives the request that started it),
/// so it makes its own database contexts.
/// </summary>
public sealed class CacheMetadata(IDbContextFactory<RegistryDbContext> contexts, BlobStore store, TimeProvider clock)
{
    /// <summary>Stores a fetched manifest's bytes and records it (and the tag, if fetched by tag) in the repository.</summary>
    public async Task<StoredManifest> RecordManifestAsync(UpstreamMatch match, UpstreamManifest fetched, ParsedManifest parsed, string? tag,
        CancellationToken cancellationToken)
    {
        var digest = fetched.Digest.ToString();
        var size = fetched.Content.Length;
        await store.PutAsync(fetched.Digest, fetched.Content, cancellationToken);
        // Usually null: the config is fetched after the manifest, and the platform is filled in when first listed.
        var platform = await ManifestPlatforms.ReadAsync(store, parsed, cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositoryId = await db.EnsureRepositoryAsync(match.LocalName, cancellationToken);
        // The same ledger transaction as a push (docs/gc.md): should a sweep be deleting these bytes, it is waited out
        // and they are written again.
        await new BlobLedger(db).RecordManifestAsync(digest, size, [],
            async (_, ct) => await RecordManifestRowsAsync(db, repositoryId, match, digest, size, parsed, platform, tag, ct),
            ct => store.PutAsync(fetched.Digest, fetched.Content, ct), null, cancellationToken);
        return new StoredManifest(digest, parsed.MediaType, size);
    }

    private async Task<bool> RecordManifestRowsAsync(RegistryDbContext db, long repositoryId, UpstreamMatch match, string digest, long size,
        ParsedManifest parsed, string? platform, string? tag, CancellationToken cancellationToken)
    {
        await MarkCachedAsync(db, repositoryId, match.Upstream.Name, cancellationToken);
        // The tag before the manifest's row: the repository's row is locked first (TagGenerations says why).
        if (tag is not null) await db.UpsertTagAsync(repositoryId, tag, digest, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var existing = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digest)
            .Select(m => (long?)m.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is null)
        {
            var record = ManifestRecords.Create(repositoryId, digest, size, parsed, platform);
            record.PushedAt = now;
            record.LastPulledAt = now;
            db.Manifests.Add(record);
            await db.SaveChangesAsync(cancellationToken);
        }
        else
        {
            await db.Manifests.Where(m => m.Id == existing).ExecuteUpdateAsync(s => s.SetProperty(m => m.LastPulledAt, now), cancellationToken);
        }
        return true;
    }

    /// <summary>Links a blob that is in the store (just fetched, or already there for another repository) into the repository.</summary>
    /// <returns>False when the blob's file is not there (any more): then nothing is recorded.</returns>
    public async Task<bool> LinkBlobAsync(UpstreamMatch match, Digest digest, long size, CancellationToken cancellationToken)
    {
        if (await store.SizeAsync(digest, cancellationToken) != size) return false;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositoryId = await db.EnsureRepositoryAsync(match.LocalName, cancellationToken);
        await MarkCachedAsync(db, repositoryId, match.Upstream.Name, cancellationToken);
        // Stored before it is recorded (the same rule as a monolithic push): if the ledger had to wait for a sweep
        // deleting this digest, the object may be gone, and the caller fetches it again.
        if (await new BlobLedger(db).RecordAndLinkAsync(repositoryId, digest.ToString(), size, null, cancellationToken))
            return await store.SizeAsync(digest, cancellationToken) == size;
        return true;
    }

    /// <summary>
    /// Records a pull of a cached manifest, which keeps it from expiring. Written at most once per
    /// <paramref name="granularity"/>, so a busy manifest does not cost a database write on every pull.
    /// </summary>
    public async Task TouchManifestAsync(string repository, string digest, TimeSpan granularity, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var before = now - granularity;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is null) return;
        var last = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digest)
            .Select(m => new { m.LastPulledAt }).FirstOrDefaultAsync(cancellationToken);
        if (last is null || last.LastPulledAt >= before) return;
        await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digest)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LastPulledAt, now), cancellationToken);
    }

    private static Task MarkCachedAsync(RegistryDbContext db, long repositoryId, string upstream, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        return db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "CachedRepositories" ("RepositoryId", "Upstream", "CreatedAt") VALUES ({repositoryId}, {upstream}, {now})
            ON CONFLICT ("RepositoryId") DO UPDATE SET "Upstream" = excluded."Upstream"
            """, cancellationToken);
    }
}
