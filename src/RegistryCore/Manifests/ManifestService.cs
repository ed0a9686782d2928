using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Manifests;

/// <summary>A manifest as the API serves it.</summary>
public sealed record StoredManifest(string Digest, string MediaType, long Size);

/// <summary>The result of a manifest push.</summary>
public sealed record PushedManifest(Digest Digest, string? SubjectDigest);

/// <summary>
/// Pushing, reading and deleting manifests and tags. The API and the portal both go through here, so a delete is
/// the same operation (same checks, same events) wherever it comes from.
/// </summary>
public sealed class ManifestService(
    RegistryDbContext db,
    BlobLedger ledger,
    BlobStore store,
    IOptions<RegistryOptions> options) : IManifestSource
{
    Task<StoredManifest?> IManifestSource.FindAsync(string repository, string reference, RegistryCaller caller, CancellationToken cancellationToken) =>
        FindAsync(repository, reference, cancellationToken);

    /// <summary>Finds a manifest by tag or digest; null when the repository does not have it.</summary>
    public async Task<StoredManifest?> FindAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        // One query either way: pulls ask for manifests by tag far more often than anything else.
        if (Digest.LooksLikeDigest(reference))
        {
            if (!Digest.TryParse(reference, out var parsed)) return null;
            var digest = parsed.ToString();
            return await (from m in db.Manifests
                          join r in db.Repositories on m.RepositoryId equals r.Id
                          where r.Name == repository && m.Digest == digest
                          select new StoredManifest(m.Digest, m.MediaType, m.Size)).FirstOrDefaultAsync(cancellationToken);
        }
        if (!TagName.IsValid(reference)) return null;
        return await (from t in db.Tags
                      join r in db.Repositories on t.RepositoryId equals r.Id
                      join m in db.Manifests on new { t.RepositoryId, Digest = t.ManifestDigest } equals new { m.RepositoryId, m.Digest }
                      where r.Name == repository && t.Name == reference
                      select new StoredManifest(m.Digest, m.MediaType, m.Size)).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<byte[]> ReadContentAsync(StoredManifest manifest, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAllAsync(Digest.Parse(manifest.Digest), long.MaxValue, cancellationToken);
        // The metadata says the manifest exists but its bytes are gone: a damaged store, reported as unknown rather than a 500.
        return bytes ?? throw new RegistryException(RegistryError.ManifestUnknown, "manifest content is missing from the store");
    }

    public async Task<PushedManifest> PutAsync(string repository, string reference, byte[] content, string? contentType,
        RegistryCaller caller, CancellationToken cancellationToken)
    {
        var isDigest = Digest.LooksLikeDigest(reference);
        Digest digest;
        if (isDigest)
        {
            if (!Digest.TryParse(reference, out var expected))
                throw new RegistryException(RegistryError.DigestInvalid, $"'{reference}' is not a valid digest");
            digest = Digest.Compute(expected.Value.Algorithm, content);
            if (digest != expected)
                throw new RegistryException(RegistryError.DigestInvalid, $"manifest content has digest {digest}, not {expected}");
        }
        else
        {
            if (!TagName.IsValid(reference)) throw new RegistryException(RegistryError.TagInvalid, $"'{reference}' is not a valid tag");
            digest = Digest.Sha256Of(content);
        }

        var manifest = ManifestParser.Parse(content, contentType);
        foreach (var layer in manifest.Layers.Where(l => l.HasUrls)) RequireAllowedUrls(layer);
        var digestText = digest.ToString();
        await store.PutAsync(digest, content, cancellationToken);
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        // Storage is looked at before the ledger's lock, never inside it (docs/gc.md): which referenced blobs are there.
        var blobs = ReferencedBlobs(manifest);
        var stored = await StoredAsync(blobs, cancellationToken);
        var platform = await ManifestPlatforms.ReadAsync(store, manifest, cancellationToken);

        // Inside one ledger transaction on this manifest and everything it references: the checks, the rows, the tag.
        // Should a sweep be deleting the manifest's own bytes, the ledger waits it out and they are written again.
        await ledger.RecordManifestAsync(digestText, content.Length, [.. blobs, .. manifest.Manifests.Select(m => m.Digest.ToString())],
            async (deleting, ct) =>
            {
                await RequireReferencesAsync(repositoryId, manifest, blobs, stored, deleting, ct);
                // The tag before the manifest's row: the repository's row is locked first (TagGenerations says why).
                if (!isDigest) await db.UpsertTagAsync(repositoryId, reference, digestText, ct);
                var existing = await db.Manifests.FirstOrDefaultAsync(m => m.RepositoryId == repositoryId && m.Digest == digestText, ct);
                if (existing is null) db.Manifests.Add(ManifestRecords.Create(repositoryId, digestText, content.Length, manifest, platform));
                else existing.PushedAt = DateTime.UtcNow; // pushed again: the grace period starts over, as for a new push
                await db.SaveChangesAsync(ct);
                return true;
            },
            ct => store.PutAsync(digest, content, ct),
            new RegistryEvent(RegistryEventKind.ManifestPushed, repository, caller)
            {
                Digest = digestText,
                Tag = isDigest ? null : reference,
                MediaType = manifest.MediaType,
                Size = content.Length,
            }, cancellationToken);
        return new PushedManifest(digest, manifest.Subject?.Digest.ToString());
    }

    /// <summary>
    /// Deletes by tag (only the tag goes) or by digest (the manifest and every tag on it go).
    /// </summary>
    /// <returns>False when there was nothing to delete.</returns>
    public async Task<bool> DeleteAsync(string repository, string reference, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (!options.Value.DeleteEnabled)
            throw new RegistryException(RegistryError.Unsupported, "deleting is disabled on this registry (storage.delete.enabled is false)");
        var repositoryId = await db.FindRepositoryAsync(repository, cancellationToken);
        if (repositoryId is null) return false;

        if (!Digest.LooksLikeDigest(reference))
        {
            return await ledger.ChangeAsync(async ct =>
            {
                await db.BumpAsync(repositoryId.Value, ct);
                var removed = await db.Tags.Where(t => t.RepositoryId == repositoryId && t.Name == reference).ExecuteDeleteAsync(ct);
                return removed == 0 ? null : new RegistryEvent(RegistryEventKind.TagDeleted, repository, caller) { Tag = reference };
            }, cancellationToken) is not null;
        }

        return await ledger.ChangeAsync(async ct =>
        {
            await db.BumpAsync(repositoryId.Value, ct);
            var tags = await db.Tags.Where(t => t.RepositoryId == repositoryId && t.ManifestDigest == reference).Select(t => t.Name).ToListAsync(ct);
            await db.Tags.Where(t => t.RepositoryId == repositoryId && t.ManifestDigest == reference).ExecuteDeleteAsync(ct);
            var manifests = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == reference).ExecuteDeleteAsync(ct);
            return manifests == 0 ? null : new RegistryEvent(RegistryEventKind.ManifestDeleted, repository, caller)
            {
                Digest = reference,
                Tag = tags.Count > 0 ? string.Join(',', tags) : null,
            };
        }, cancellationToken) is not null;
    }

    /// <summary>The tags that point at a digest (what a delete by digest takes with it).</summary>
    public async Task<List<string>> TagsOfAsync(string repository, string digest, CancellationToken cancellationToken) =>
        await (from t in db.Tags
               join r in db.Repositories on t.RepositoryId equals r.Id
               where r.Name == repository && t.ManifestDigest == digest
               orderby t.Name
               select t.Name).ToListAsync(cancellationToken);

    /// <summary>
    /// distribution's check of a foreign layer's URLs: http or https, no fragment, matching validation.manifests.urls
    /// allow (when set) and not its deny list.
    /// </summary>
    private void RequireAllowedUrls(Descriptor layer)
    {
        var allow = options.Value.ManifestUrlsAllow;
        var deny = options.Value.ManifestUrlsDeny;
        foreach (var url in layer.Urls ?? [])
        {
            var valid = Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Fragment.Length == 0
                && (allow.Count == 0 || allow.Any(a => a.IsMatch(url))) && !deny.Any(d => d.IsMatch(url));
            if (!valid)
                throw new RegistryException(RegistryError.ManifestInvalid,
                    $"layer {layer.Digest} has URL '{url}', which this registry does not accept (validation.manifests.urls)");
        }
    }

    private static HashSet<string> ReferencedBlobs(ParsedManifest manifest)
    {
        var blobs = manifest.Layers.Where(l => !l.IsExternal).Select(l => l.Digest.ToString()).ToHashSet(StringComparer.Ordinal);
        if (manifest.Config is { } config) blobs.Add(config.Digest.ToString());
        return blobs;
    }

    private async Task<HashSet<string>> StoredAsync(HashSet<string> blobs, CancellationToken cancellationToken)
    {
        var stored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var digest in blobs)
            if (await store.SizeAsync(Digest.Parse(digest), cancellationToken) is not null) stored.Add(digest);
        return stored;
    }

    /// <summary>
    /// Inside the ledger transaction: every referenced blob is linked here, was in storage when looked at just before,
    /// and is not being deleted by a sweep (a sweep that had not marked it by now sees this manifest and keeps it):
    /// <paramref name="deleting"/> is what the ledger read under its lock.
    /// </summary>
    private async Task RequireReferencesAsync(long repositoryId, ParsedManifest manifest, HashSet<string> blobs, HashSet<string> stored,
        IReadOnlySet<string> deleting, CancellationToken cancellationToken)
    {
        if (blobs.Count > 0)
        {
            var present = await db.RepositoryBlobs.Where(rb => rb.RepositoryId == repositoryId && blobs.Contains(rb.Digest))
                .Select(rb => rb.Digest).ToListAsync(cancellationToken);
            // A link whose file is gone (a damaged store, or a garbage collection that died mid-sweep) is no blob.
            var onDisk = present.Where(d => stored.Contains(d) && !deleting.Contains(d)).ToList();
            var missing = blobs.Except(onDisk).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
                throw new RegistryException(RegistryError.ManifestBlobUnknown, $"blob {missing[0]} is not in this repository; push it first",
                    new { digests = missing });
        }

        var children = manifest.Manifests.Select(m => m.Digest.ToString()).ToHashSet();
        if (children.Count > 0)
        {
            var present = await db.Manifests.Where(m => m.RepositoryId == repositoryId && children.Contains(m.Digest))
                .Select(m => m.Digest).ToListAsync(cancellationToken);
            var missing = children.Except(present).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
                throw new RegistryException(RegistryError.ManifestBlobUnknown, $"manifest {missing[0]} is not in this repository; push it first",
                    new { digests = missing });
        }
    }
}
