using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

/// <param name="KeptNewer">Entries of a merge where Wharf's state was newer than the link file and was kept.</param>
public sealed record ImportReport(int Repositories, int Manifests, int Tags, int Layers, int Skipped, int KeptNewer = 0);

/// <summary>Thrown when an import is asked for over metadata that is not empty, without a merge.</summary>
public sealed class ImportRefusedException(string message) : InvalidOperationException(message);

/// <summary>
/// Reads distribution's <c>repositories/</c> tree (tag links, manifest revisions, layer links) into Wharf's metadata,
/// so a data directory (or a bucket) written by registry:2 is served as it is. Blobs are not copied or moved: both layouts
/// share them.
/// Every blob is hashed before it is recorded: a blob file whose bytes are not its digest's (damaged, replaced, or a
/// link out of the store) is skipped and named in the log, never served as that digest. For very large stores,
/// <c>deferVerification</c> records blobs after a stat only, marked unverified: the first read of each hashes it
/// before serving it (<see cref="Blobs.BlobVerification"/>).
/// <para>
/// Over metadata that is not empty an import only runs as a merge, which never replaces newer state with older.
/// "Newer" is decided per entry: a tag both sides have takes the link file's digest only when the file was modified
/// after Wharf last moved the tag (its UpdatedAt); a tag, manifest or layer link that Wharf does not have is added
/// only when its file was modified after Wharf's last import or export of this store (<see cref="DistributionSync"/>),
/// because an older one names something Wharf has deleted since. A merge never deletes: what Wharf has and the
/// link files lack stays.
/// </para>
/// Per repository, storage is read first (verifying blobs, reading manifests and tag links), then its rows are written
/// through <see cref="BlobLedger.RecordAllAsync"/>, in one ledger transaction on every digest it records, as any other
/// writer's (docs/gc.md): an import beside a running garbage collection never records a blob the sweep is deleting.
/// </summary>
public sealed partial class DistributionImporter(RegistryDbContext db, BlobLedger ledger, IBlobStorage storage, BlobStore store,
    ILogger<DistributionImporter> logger)
{
    private const long MaxManifestBytes = 16 * 1024 * 1024;

    public async Task<bool> HasDistributionTreeAsync(CancellationToken cancellationToken) =>
        (await storage.ListAsync(StorageLayout.Repositories + "/", null, 1, cancellationToken)).Objects.Count > 0;

    /// <summary>Digests verified in this run, so a layer shared by many repositories is hashed once.</summary>
    private readonly Dictionary<string, long?> _verified = new(StringComparer.Ordinal);
    private long _verifiedBytes;

    /// <param name="merge">Allowed to run over metadata that is not empty (see the class remarks).</param>
    /// <exception cref="ImportRefusedException">The metadata is not empty and <paramref name="merge"/> is false.</exception>
    private bool _deferVerification;

    /// <param name="deferVerification">Record blobs without hashing them (<c>wharf import --defer-verification</c>).</param>
    public async Task<ImportReport> ImportAsync(bool merge, CancellationToken cancellationToken, bool deferVerification = false)
    {
        _deferVerification = deferVerification;
        var hasMetadata = await db.Repositories.AnyAsync(cancellationToken);
        if (hasMetadata && !merge)
            throw new ImportRefusedException("the metadata database is not empty (Wharf has served this store): importing again would bring back " +
                "what Wharf deleted and revert tags moved since; run `wharf import --merge` to add only what is newer in the link files");
        // A first import takes everything; a merge only what the link files changed since Wharf last agreed with them.
        var since = hasMetadata ? await DistributionSync.LastAsync(storage, cancellationToken) : null;
        var mode = new MergeMode(hasMetadata, since);
        int repositories = 0, manifests = 0, tags = 0, layers = 0, skipped = 0, kept = 0;
        await foreach (var repository in DistributionTree.RepositoriesAsync(storage, cancellationToken))
        {
            if (!RepositoryName.IsValid(repository.Name)) continue;
            var result = await ImportRepositoryAsync(repository, mode, cancellationToken);
            repositories++;
            manifests += result.Manifests;
            tags += result.Tags;
            layers += result.Layers;
            skipped += result.Skipped;
            kept += result.KeptNewer;
            LogRepository(logger, repository.Name, result.Manifests, result.Tags, result.Layers);
        }
        await DistributionSync.MarkAsync(storage, "import", cancellationToken);
        if (deferVerification) LogDeferred(logger, _verified.Count(v => v.Value is not null), _verifiedBytes, _verified.Count(v => v.Value is null));
        else LogVerified(logger, _verified.Count, _verifiedBytes, _verified.Count(v => v.Value is null));
        var report = new ImportReport(repositories, manifests, tags, layers, skipped, kept);
        LogDone(logger, report.Repositories, report.Manifests, report.Tags, report.Layers, report.Skipped);
        if (mode.Merging) LogKept(logger, kept);
        return report;
    }

    /// <param name="Merging">The metadata held state before this import.</param>
    /// <param name="Since">Wharf's last import or export of this store; null when there was none (every link file counts as newer).</param>
    private sealed record MergeMode(bool Merging, DateTimeOffset? Since)
    {
        /// <summary>Whether a link file for something Wharf lacks was written after Wharf last agreed with the files.</summary>
        public bool IsNew(DistributionRepository repository, string key) =>
            !Merging || Since is null || repository.ModifiedAt[key] > Since.Value;
    }

    private sealed record RepositoryResult(int Manifests, int Tags, int Layers, int Skipped, int KeptNewer);

    private async Task<RepositoryResult> ImportRepositoryAsync(DistributionRepository repository, MergeMode mode, CancellationToken cancellationToken)
    {
        while (true)
        {
            var found = await ReadRepositoryAsync(repository, mode, cancellationToken);
            var digests = found.Layers.Select(l => l.Digest).Concat(found.Manifests.Select(m => m.Digest)).Distinct(StringComparer.Ordinal).ToList();
            var deleting = await ledger.RecordAllAsync(digests, ct => RecordAsync(repository.Name, found, ct), cancellationToken);
            if (deleting.Count == 0)
                return new RepositoryResult(found.Manifests.Count, found.Tags.Count, found.Layers.Count, found.Skipped, found.KeptNewer);
            // A sweep was deleting some of these: their objects may be gone now, so they are verified again.
            foreach (var digest in deleting) _verified.Remove(digest);
            db.ChangeTracker.Clear();
        }
    }

    private sealed record FoundManifest(string Digest, int Size, ParsedManifest Parsed, string? Platform);

    private sealed record FoundRepository(List<(string Digest, long Size)> Layers, List<FoundManifest> Manifests,
        List<(string Tag, string Digest)> Tags, int Skipped, int KeptNewer);

    /// <summary>
    /// The storage half of importing a repository: verified layers, readable manifests, tags that name one of them,
    /// less what a merge keeps from Wharf (see the class remarks). Wharf's current state is read here, before the
    /// ledger transaction, so that no storage I/O happens inside it.
    /// </summary>
    private async Task<FoundRepository> ReadRepositoryAsync(DistributionRepository repository, MergeMode mode, CancellationToken cancellationToken)
    {
        var name = repository.Name;
        int skipped = 0, kept = 0;
        HashSet<string> linked = new(StringComparer.Ordinal), known = new(StringComparer.Ordinal);
        Dictionary<string, (string ManifestDigest, DateTime UpdatedAt)> current = new(StringComparer.Ordinal);
        if (mode.Merging && await db.Repositories.AsNoTracking().Where(r => r.Name == name).Select(r => (long?)r.Id)
                .FirstOrDefaultAsync(cancellationToken) is { } repositoryId)
        {
            linked = (await db.RepositoryBlobs.AsNoTracking().Where(l => l.RepositoryId == repositoryId).Select(l => l.Digest)
                .ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            known = (await db.Manifests.AsNoTracking().Where(m => m.RepositoryId == repositoryId).Select(m => m.Digest)
                .ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            current = await db.Tags.AsNoTracking().Where(t => t.RepositoryId == repositoryId)
                .ToDictionaryAsync(t => t.Name, t => (t.ManifestDigest, t.UpdatedAt), StringComparer.Ordinal, cancellationToken);
        }

        var layers = new List<(string, long)>();
        foreach (var (key, digest) in await ReadLinksAsync(repository.LayerLinks, cancellationToken))
        {
            if (linked.Contains(digest.ToString())) continue;
            if (!mode.IsNew(repository, key)) { kept++; continue; }
            if (await BlobSizeAsync(digest, cancellationToken) is { } size) layers.Add((digest.ToString(), size));
            else skipped++;
        }
        var manifests = new List<FoundManifest>();
        var imported = new HashSet<string>(known, StringComparer.Ordinal);
        foreach (var (key, digest) in await ReadLinksAsync(repository.RevisionLinks, cancellationToken))
        {
            if (known.Contains(digest.ToString())) continue;
            if (!mode.IsNew(repository, key)) { kept++; continue; }
            if (await ReadManifestAsync(name, digest, cancellationToken) is { } manifest) { manifests.Add(manifest); imported.Add(manifest.Digest); }
            else skipped++;
        }
        var tags = new List<(string, string)>();
        foreach (var (tag, key) in repository.TagLinks)
        {
            var link = await DistributionTree.ReadLinkAsync(storage, key, cancellationToken);
            if (!TagName.IsValid(tag) || link is null || !imported.Contains(link.Value.ToString())) { skipped++; continue; }
            if (current.TryGetValue(tag, out var wharf))
            {
                if (wharf.ManifestDigest == link.Value.ToString()) continue;
                // Both have the tag and disagree: the later change wins. Wharf keeps UTC; the file's time is the store's.
                if (repository.ModifiedAt[key].UtcDateTime <= DateTime.SpecifyKind(wharf.UpdatedAt, DateTimeKind.Utc)) { kept++; continue; }
            }
            else if (!mode.IsNew(repository, key)) { kept++; continue; }
            tags.Add((tag, link.Value.ToString()));
        }
        return new FoundRepository(layers, manifests, tags, skipped, kept);
    }

    /// <summary>The database half, inside the ledger transaction: no storage I/O here.</summary>
    private async Task RecordAsync(string name, FoundRepository found, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(name, cancellationToken);
        foreach (var (digest, size) in found.Layers)
        {
            if (_deferVerification) await RecordUnverifiedBlobAsync(digest, size, cancellationToken);
            else await db.RecordBlobAsync(digest, size, cancellationToken);
            await db.LinkBlobAsync(repositoryId, digest, cancellationToken);
        }
        foreach (var manifest in found.Manifests)
        {
            if (await db.Manifests.AnyAsync(m => m.RepositoryId == repositoryId && m.Digest == manifest.Digest, cancellationToken)) continue;
            await db.RecordBlobAsync(manifest.Digest, manifest.Size, cancellationToken);
            db.Manifests.Add(ManifestRecords.Create(repositoryId, manifest.Digest, manifest.Size, manifest.Parsed, manifest.Platform));
        }
        foreach (var (tag, digest) in found.Tags) await db.UpsertTagAsync(repositoryId, tag, digest, cancellationToken);
    }

    private async Task<FoundManifest?> ReadManifestAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        var bytes = await store.ReadAllAsync(digest, MaxManifestBytes, cancellationToken);
        if (bytes is null) { LogMissing(logger, repository, text); return null; }
        if (Digest.Compute(digest.Algorithm, bytes) != digest) { LogMismatch(logger, repository, text); return null; }
        ParsedManifest parsed;
        try
        {
            parsed = ManifestParser.Parse(bytes, null);
        }
        catch (RegistryException e)
        {
            LogUnreadable(logger, repository, text, e.Message);
            return null;
        }
        // Read here, in the storage half: nothing inside the ledger transaction touches storage.
        return new FoundManifest(text, bytes.Length, parsed, await ManifestPlatforms.ReadAsync(store, parsed, cancellationToken));
    }

    private async Task<List<(string Key, Digest Digest)>> ReadLinksAsync(List<string> keys, CancellationToken cancellationToken)
    {
        var result = new List<(string, Digest)>(keys.Count);
        foreach (var key in keys)
            if (await DistributionTree.ReadLinkAsync(storage, key, cancellationToken) is { } digest) result.Add((key, digest));
        return result;
    }

    /// <summary>A blob row marked for verification on its first read (a blob already recorded keeps its row).</summary>
    private async Task RecordUnverifiedBlobAsync(string digest, long size, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        await db.Database.ExecuteSqlAsync(
            $"""INSERT INTO "Blobs" ("Digest", "Size", "CreatedAt", "UnverifiedSince") VALUES ({digest}, {size}, {now}, {now}) ON CONFLICT DO NOTHING""", cancellationToken);
    }

    /// <summary>
    /// The blob's size once its bytes are verified against its digest (with deferred verification: once it is found);
    /// null when missing or different.
    /// </summary>
    private async Task<long?> BlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        if (_verified.TryGetValue(text, out var known)) return known;
        var size = _deferVerification ? await store.SizeAsync(digest, cancellationToken) : await store.VerifyAsync(digest, cancellationToken);
        _verified[text] = size;
        if (size is null) LogBlobRefused(logger, text);
        else _verifiedBytes += size.Value;
        if (_verified.Count % ProgressEvery == 0) LogProgress(logger, _verified.Count, _verifiedBytes);
        return size;
    }

    private const int ProgressEvery = 200;

    [LoggerMessage(Level = LogLevel.Information, Message = "Import: verified {Blobs} blobs so far ({Bytes} bytes)")]
    private static partial void LogProgress(ILogger logger, int blobs, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import: verified {Blobs} blobs ({Bytes} bytes) against their digests; {Refused} refused")]
    private static partial void LogVerified(ILogger logger, int blobs, long bytes, int refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Blobs} blobs ({Bytes} bytes) recorded WITHOUT verification (--defer-verification): each is hashed against its digest on its first read and never served if it differs; {Missing} missing")]
    private static partial void LogDeferred(ILogger logger, int blobs, long bytes, int missing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: blob {Digest} is missing, leads outside the store, or its content does not match its digest; it is not served")]
    private static partial void LogBlobRefused(ILogger logger, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} manifest {Digest} does not match its digest; skipped")]
    private static partial void LogMismatch(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported {Repository}: {Manifests} manifests, {Tags} tags, {Layers} layers")]
    private static partial void LogRepository(ILogger logger, string repository, int manifests, int tags, int layers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import of the distribution data directory done: {Repositories} repositories, {Manifests} manifests, {Tags} tags, {Layers} layer links, {Skipped} entries skipped")]
    private static partial void LogDone(ILogger logger, int repositories, int manifests, int tags, int layers, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merge: kept Wharf's state for {Kept} link file entries older than it (tags moved, or tags, manifests and layers deleted, in Wharf since)")]
    private static partial void LogKept(ILogger logger, int kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} lists manifest {Digest} but its blob is missing; skipped")]
    private static partial void LogMissing(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} manifest {Digest} skipped: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string repository, string digest, string reason);
}
