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
/// link out of the store) is skipped and named in the log, never served as that digest. For very large stores,
/// <c>deferVerification</c> records blobs after a stat only, marked unverified: the first read of each hashes it
/// before serving it (<see cref="Blobs.BlobVerification"/>).
/// </summary>
public sealed partial class DistributionImporter(RegistryDbContext db, IBlobStorage storage, BlobStore store, ILogger<DistributionImporter> logger)
{
    private const long MaxManifestBytes = 16 * 1024 * 1024;

    public async Task<bool> HasDistributionTreeAsync(CancellationToken cancellationToken) =>
        (await storage.ListAsync(StorageLayout.Repositories + "/", null, 1, cancellationToken)).Objects.Count > 0;

    /// <summary>Digests verified in this run, so a layer shared by many repositories is hashed once.</summary>
    private readonly Dictionary<string, long?> _verified = new(StringComparer.Ordinal);
    private long _verifiedBytes;

    private bool _deferVerification;

    public async Task<ImportReport> ImportAsync(CancellationToken cancellationToken, bool deferVerification = false)
    {
        _deferVerification = deferVerification;
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
        if (deferVerification) LogDeferred(logger, _verified.Count(v => v.Value is not null), _verifiedBytes, _verified.Count(v => v.Value is null));
        else LogVerified(logger, _verified.Count, _verifiedBytes, _verified.Count(v => v.Value is null));
        var report = new ImportReport(repositories, manifests, tags, layers, skipped);
        LogDone(logger, report.Repositories, report.Manifests, report.Tags, report.Layers, report.Skipped);
        return report;
    }

    private sealed record RepositoryResult(int Manifests, int Tags, int Layers, int Skipped);

    private async Task<RepositoryResult> ImportRepositoryAsync(DistributionRepository repository, CancellationToken cancellationToken)
    {
        var name = repository.Name;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var repositoryId = await db.EnsureRepositoryAsync(name, cancellationToken);
        int layers = 0, manifests = 0, tags = 0, skipped = 0;

        foreach (var digest in await ReadLinksAsync(repository.LayerLinks, cancellationToken))
        {
            var size = await BlobSizeAsync(digest, cancellationToken);
            if (size is null) { skipped++; continue; }
            if (_deferVerification) await RecordUnverifiedBlobAsync(digest.ToString(), size.Value, cancellationToken);
            else await db.RecordBlobAsync(digest.ToString(), size.Value, cancellationToken);
            await db.LinkBlobAsync(repositoryId, digest.ToString(), cancellationToken);
            layers++;
        }

        var imported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var digest in await ReadLinksAsync(repository.RevisionLinks, cancellationToken))
        {
            if (await ImportManifestAsync(repositoryId, name, digest, cancellationToken)) { imported.Add(digest.ToString()); manifests++; }
            else skipped++;
        }

        foreach (var (tag, key) in repository.TagLinks)
        {
            var link = await DistributionTree.ReadLinkAsync(storage, key, cancellationToken);
            if (!TagName.IsValid(tag) || link is null || !imported.Contains(link.Value.ToString())) { skipped++; continue; }
            await db.UpsertTagAsync(repositoryId, tag, link.Value.ToString(), cancellationToken);
            tags++;
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RepositoryResult(manifests, tags, layers, skipped);
    }

    private async Task<bool> ImportManifestAsync(long repositoryId, string repository, Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        if (await db.Manifests.AnyAsync(m => m.RepositoryId == repositoryId && m.Digest == text, cancellationToken)) return true;
        var bytes = await store.ReadAllAsync(digest, MaxManifestBytes, cancellationToken);
        if (bytes is null) { LogMissing(logger, repository, text); return false; }
        if (Digest.Compute(digest.Algorithm, bytes) != digest) { LogMismatch(logger, repository, text); return false; }
        ParsedManifest parsed;
        try
        {
            parsed = ManifestParser.Parse(bytes, null);
        }
        catch (RegistryException e)
        {
            LogUnreadable(logger, repository, text, e.Message);
            return false;
        }
        await db.RecordBlobAsync(text, bytes.Length, cancellationToken);
        db.Manifests.Add(ManifestRecords.Create(repositoryId, text, bytes.Length, parsed));
        return true;
    }

    private async Task<List<Digest>> ReadLinksAsync(List<string> keys, CancellationToken cancellationToken)
    {
        var result = new List<Digest>(keys.Count);
        foreach (var key in keys)
            if (await DistributionTree.ReadLinkAsync(storage, key, cancellationToken) is { } digest) result.Add(digest);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} lists manifest {Digest} but its blob is missing; skipped")]
    private static partial void LogMissing(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import: {Repository} manifest {Digest} skipped: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string repository, string digest, string reason);
}
