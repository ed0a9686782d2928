using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

public sealed record ImportReport(int Repositories, int Manifests, int Tags, int Layers, int Skipped);

/// <summary>
/// Reads distribution's <c>repositories/</c> tree (tag links, manifest revisions, layer links) into Wharf's metadata,
/// so a data directory (or a bucket) written by registry:2 is served as it is. Blobs are not copied or moved: both layouts
/// share them.
/// Every blob is hashed before it is recorded: a blob file whose bytes are not its digest's (damaged, replaced, or a
/// link out of the store) is skipped and named in the log, never served as that digest.
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

    public async Task<ImportReport> ImportAsync(CancellationToken cancellationToken)
    {
        int repositories = 0, manifests = 0, tags = 0, layers = 0, skipped = 0;
        await foreach (var repository in DistributionTree.RepositoriesAsync(storage, cancellationToken))
        {
            if (!RepositoryName.IsValid(repository.Name)) continue;
            var result = await ImportRepositoryAsync(repository, cancellationToken);
            repositories++;
            manifests += result.Manifests;
            tags += result.Tags;
            layers += result.Layers;
            skipped += result.Skipped;
            LogRepository(logger, repository.Name, result.Manifests, result.Tags, result.Layers);
        }
        LogVerified(logger, _verified.Count, _verifiedBytes, _verified.Count(v => v.Value is null));
        var report = new ImportReport(repositories, manifests, tags, layers, skipped);
        LogDone(logger, report.Repositories, report.Manifests, report.Tags, report.Layers, report.Skipped);
        return report;
    }

    private sealed record RepositoryResult(int Manifests, int Tags, int Layers, int Skipped);

    private async Task<RepositoryResult> ImportRepositoryAsync(DistributionRepository repository, CancellationToken cancellationToken)
    {
        while (true)
        {
            var found = await ReadRepositoryAsync(repository, cancellationToken);
            var digests = found.Layers.Select(l => l.Digest).Concat(found.Manifests.Select(m => m.Digest)).Distinct(StringComparer.Ordinal).ToList();
            var deleting = await ledger.RecordAllAsync(digests, ct => RecordAsync(repository.Name, found, ct), cancellationToken);
            if (deleting.Count == 0) return new RepositoryResult(found.Manifests.Count, found.Tags.Count, found.Layers.Count, found.Skipped);
            // A sweep was deleting some of these: their objects may be gone now, so they are verified again.
            foreach (var digest in deleting) _verified.Remove(digest);
            db.ChangeTracker.Clear();
        }
    }

    private sealed record FoundManifest(string Digest, int Size, ParsedManifest Parsed);

    private sealed record FoundRepository(List<(string Digest, long Size)> Layers, List<FoundManifest> Manifests, List<(string Tag, string Digest)> Tags, int Skipped);

    /// <summary>The storage half of importing a repository: verified layers, readable manifests, tags that name one of them.</summary>
    private async Task<FoundRepository> ReadRepositoryAsync(DistributionRepository repository, CancellationToken cancellationToken)
    {
        var skipped = 0;
        var layers = new List<(string, long)>();
        foreach (var digest in await ReadLinksAsync(repository.LayerLinks, cancellationToken))
        {
            if (await BlobSizeAsync(digest, cancellationToken) is { } size) layers.Add((digest.ToString(), size));
            else skipped++;
        }
        var manifests = new List<FoundManifest>();
        foreach (var digest in await ReadLinksAsync(repository.RevisionLinks, cancellationToken))
        {
            if (await ReadManifestAsync(repository.Name, digest, cancellationToken) is { } manifest) manifests.Add(manifest);
            else skipped++;
        }
        var imported = manifests.Select(m => m.Digest).ToHashSet(StringComparer.Ordinal);
        var tags = new List<(string, string)>();
        foreach (var (tag, key) in repository.TagLinks)
        {
            var link = await DistributionTree.ReadLinkAsync(storage, key, cancellationToken);
            if (!TagName.IsValid(tag) || link is null || !imported.Contains(link.Value.ToString())) { skipped++; continue; }
            tags.Add((tag, link.Value.ToString()));
        }
        return new FoundRepository(layers, manifests, tags, skipped);
    }

    /// <summary>The database half, inside the ledger transaction: no storage I/O here.</summary>
    private async Task RecordAsync(string name, FoundRepository found, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(name, cancellationToken);
        foreach (var (digest, size) in found.Layers)
        {
            await db.RecordBlobAsync(digest, size, cancellationToken);
            await db.LinkBlobAsync(repositoryId, digest, cancellationToken);
        }
        foreach (var manifest in found.Manifests)
        {
            if (await db.Manifests.AnyAsync(m => m.RepositoryId == repositoryId && m.Digest == manifest.Digest, cancellationToken)) continue;
            await db.RecordBlobAsync(manifest.Digest, manifest.Size, cancellationToken);
            db.Manifests.Add(ManifestRecords.Create(repositoryId, manifest.Digest, manifest.Size, manifest.Parsed));
        }
        foreach (var (tag, digest) in found.Tags) await db.UpsertTagAsync(repositoryId, tag, digest, cancellationToken);
    }

    private async Task<FoundManifest?> ReadManifestAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        var bytes = await store.ReadAllAsync(digest, MaxManifestBytes, cancellationToken);
        if (bytes is null) { LogMissing(logger, repository, text); return null; }
        if (Digest.Compute(digest.Algorithm, bytes) != digest) { LogMismatch(logger, repository, text); return null; }
        try
        {
            return new FoundManifest(text, bytes.Length, ManifestParser.Parse(bytes, null));
        }
        catch (RegistryException e)
        {
            LogUnreadable(logger, repository, text, e.Message);
            return null;
        }
    }

    private async Task<List<Digest>> ReadLinksAsync(List<string> keys, CancellationToken cancellationToken)
    {
        var result = new List<Digest>(keys.Count);
        foreach (var key in keys)
            if (await DistributionTree.ReadLinkAsync(storage, key, cancellationToken) is { } digest) result.Add(digest);
        return result;
    }

    /// <summary>The blob's size once its bytes are verified against its digest; null when missing or different.</summary>
    private async Task<long?> BlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        if (_verified.TryGetValue(text, out var known)) return known;
        var size = await store.VerifyAsync(digest, cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: blob {Digest} is missing, leads outside the store, or its content does not match its digest; it is not served")]
    private static partial void LogBlobRefused(ILogger logger, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} manifest {Digest} does not match its digest; skipped")]
    private static partial void LogMismatch(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported {Repository}: {Manifests} manifests, {Tags} tags, {Layers} layers")]
    private static partial void LogRepository(ILogger logger, string repository, int manifests, int tags, int layers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import of the distribution data directory done: {Repositories} repositories, {Manifests} manifests, {Tags} tags, {Layers} layer links, {Skipped} entries skipped")]
    private static partial void LogDone(ILogger logger, int repositories, int manifests, int tags, int layers, int skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} lists manifest {Digest} but its blob is missing; skipped")]
    private static partial void LogMissing(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} manifest {Digest} skipped: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string repository, string digest, string reason);
}
