using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

public sealed record ImportReport(int Repositories, int Manifests, int Tags, int Layers, int Skipped);

/// <summary>
/// Reads distribution's <c>repositories/</c> tree (tag links, manifest revisions, layer links) into Wharf's metadata,
/// so a data directory written by registry:2 is served as it is. Blobs are not copied or moved: both layouts share them.
/// Every blob is hashed before it is recorded: a blob file whose bytes are not its digest's (damaged, replaced, or a
/// link out of the store) is skipped and named in the log, never served as that digest.
/// </summary>
public sealed partial class DistributionImporter(RegistryDbContext db, IStorageDriver driver, ILogger<DistributionImporter> logger)
{
    private const long MaxManifestBytes = 16 * 1024 * 1024;

    public async Task<bool> HasDistributionTreeAsync(CancellationToken cancellationToken) =>
        await driver.StatAsync(StorageLayout.Repositories, cancellationToken) is { IsDirectory: true };

    /// <summary>Digests verified in this run, so a layer shared by many repositories is hashed once.</summary>
    private readonly Dictionary<string, long?> _verified = new(StringComparer.Ordinal);
    private long _verifiedBytes;

    public async Task<ImportReport> ImportAsync(CancellationToken cancellationToken)
    {
        int repositories = 0, manifests = 0, tags = 0, layers = 0, skipped = 0;
        await foreach (var name in FindRepositoriesAsync(StorageLayout.Repositories, "", cancellationToken))
        {
            var result = await ImportRepositoryAsync(name, cancellationToken);
            repositories++;
            manifests += result.Manifests;
            tags += result.Tags;
            layers += result.Layers;
            skipped += result.Skipped;
            LogRepository(logger, name, result.Manifests, result.Tags, result.Layers);
        }
        LogVerified(logger, _verified.Count, _verifiedBytes, _verified.Count(v => v.Value is null));
        var report = new ImportReport(repositories, manifests, tags, layers, skipped);
        LogDone(logger, report.Repositories, report.Manifests, report.Tags, report.Layers, report.Skipped);
        return report;
    }

    private async IAsyncEnumerable<string> FindRepositoriesAsync(string directory, string name,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var children = new List<StorageEntry>();
        await foreach (var entry in driver.ListAsync(directory, cancellationToken)) if (entry.IsDirectory) children.Add(entry);
        var isRepository = children.Any(c => Path.GetFileName(c.Path) is "_manifests" or "_layers");
        if (isRepository && RepositoryName.IsValid(name)) yield return name;
        foreach (var child in children.OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            var component = Path.GetFileName(child.Path);
            if (component.StartsWith('_')) continue;
            var childName = name.Length == 0 ? component : $"{name}/{component}";
            await foreach (var found in FindRepositoriesAsync(child.Path, childName, cancellationToken)) yield return found;
        }
    }

    private sealed record RepositoryResult(int Manifests, int Tags, int Layers, int Skipped);

    private async Task<RepositoryResult> ImportRepositoryAsync(string name, CancellationToken cancellationToken)
    {
        var root = StorageLayout.RepositoryDirectory(name);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var repositoryId = await db.EnsureRepositoryAsync(name, cancellationToken);
        int layers = 0, manifests = 0, tags = 0, skipped = 0;

        foreach (var digest in await ReadDigestLinksAsync($"{root}/_layers", cancellationToken))
        {
            var size = await BlobSizeAsync(digest, cancellationToken);
            if (size is null) { skipped++; continue; }
            await db.RecordBlobAsync(digest.ToString(), size.Value, cancellationToken);
            await db.LinkBlobAsync(repositoryId, digest.ToString(), cancellationToken);
            layers++;
        }

        var imported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var digest in await ReadDigestLinksAsync($"{root}/_manifests/revisions", cancellationToken))
        {
            if (await ImportManifestAsync(repositoryId, name, digest, cancellationToken)) { imported.Add(digest.ToString()); manifests++; }
            else skipped++;
        }

        await foreach (var tagEntry in driver.ListAsync($"{root}/_manifests/tags", cancellationToken))
        {
            var tag = Path.GetFileName(tagEntry.Path);
            var link = await ReadLinkAsync($"{tagEntry.Path}/current/link", cancellationToken);
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
        var bytes = await new BlobStore(driver).ReadAllAsync(digest, MaxManifestBytes, cancellationToken);
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

    /// <summary>Reads every <c>&lt;algorithm&gt;/&lt;hex&gt;/link</c> under a directory.</summary>
    private async Task<List<Digest>> ReadDigestLinksAsync(string directory, CancellationToken cancellationToken)
    {
        var result = new List<Digest>();
        await foreach (var algorithm in driver.ListAsync(directory, cancellationToken))
        {
            if (!algorithm.IsDirectory) continue;
            await foreach (var entry in driver.ListAsync(algorithm.Path, cancellationToken))
            {
                if (entry.IsDirectory && await ReadLinkAsync($"{entry.Path}/link", cancellationToken) is { } digest) result.Add(digest);
            }
        }
        return result;
    }

    private async Task<Digest?> ReadLinkAsync(string path, CancellationToken cancellationToken)
    {
        var stat = await driver.StatAsync(path, cancellationToken);
        if (stat is null || stat.IsDirectory || stat.Size > 1024) return null;
        await using var stream = await driver.OpenReadAsync(path, cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = (await reader.ReadToEndAsync(cancellationToken)).Trim();
        return Digest.TryParse(text, out var digest) ? digest : null;
    }

    /// <summary>The blob's size once its bytes are verified against its digest; null when missing or different.</summary>
    private async Task<long?> BlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        if (_verified.TryGetValue(text, out var known)) return known;
        var size = await new BlobStore(driver).VerifyAsync(digest, cancellationToken);
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
