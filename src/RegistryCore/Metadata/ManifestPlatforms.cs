using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Metadata;

/// <summary>
/// An image manifest's platform (<see cref="ManifestRecord.Platform"/>), read from its config blob when the manifest is
/// recorded, so that a list of two thousand tags is one query and not two thousand blob reads. Manifests recorded
/// without it (before Wharf kept it, or a pull-through cache's manifest whose config was not fetched yet) are filled
/// in by <see cref="FillAsync"/> the first time a list shows them.
/// </summary>
public static class ManifestPlatforms
{
    /// <summary>Configs above this are not read for their platform (an image config is a few KiB).</summary>
    public const long MaxConfigBytes = 1024 * 1024;

    private static readonly HashSet<string> ImageConfigTypes = new(StringComparer.Ordinal)
    {
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
    };

    /// <summary>
    /// The platform to record for a manifest whose config is <paramref name="config"/>: null when it must be read from
    /// storage (an image config of a readable size), empty when there is none to read (no config, an artifact's
    /// config, an oversized one). Indexes are null too, but are never read: see <see cref="ManifestRecord.Platform"/>.
    /// </summary>
    public static bool NeedsRead(Descriptor? config) =>
        config is not null && ImageConfigTypes.Contains(config.MediaType) && config.Size <= MaxConfigBytes;

    /// <summary>
    /// Reads the platform of a manifest about to be recorded. Storage I/O: call it before a ledger transaction,
    /// never inside one. Null for an index, or when the config is not in storage (it is filled in later).
    /// </summary>
    public static async Task<string?> ReadAsync(BlobStore store, ParsedManifest manifest, CancellationToken cancellationToken)
    {
        if (manifest.IsIndex || manifest.Manifests.Count > 0) return null;
        if (!NeedsRead(manifest.Config)) return "";
        return FromConfig(await store.ReadAllAsync(manifest.Config!.Digest, MaxConfigBytes, cancellationToken));
    }

    /// <summary><c>os/architecture[/variant]</c> from an image config; empty when it names no os; null when there are no bytes.</summary>
    public static string? FromConfig(byte[]? config)
    {
        if (config is null) return null;
        try
        {
            using var json = JsonDocument.Parse(config, new JsonDocumentOptions { MaxDepth = 32 });
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "";
            var os = Text(root, "os");
            if (string.IsNullOrEmpty(os)) return "";
            // The same form as an index's platform descriptors (ManifestParser).
            return string.Join('/', new[] { os, Text(root, "architecture"), Text(root, "variant") }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>An image manifest whose platform has not been read yet: its row and its config.</summary>
    public sealed record Missing(long ManifestId, string? ConfigDigest, string? ConfigMediaType, long ConfigSize);

    /// <summary>
    /// Reads the platforms of manifests recorded without one and stores them, so each is read once, whichever
    /// instance shows it first. The blobs are read first with no transaction open; then one short transaction writes
    /// the rows that are still unfilled (another instance may have filled them meanwhile, or a delete removed them: both
    /// are fine). A config that is not in storage stays unfilled and is looked for again next time.
    /// </summary>
    /// <returns>The platform of each manifest that could be read.</returns>
    public static async Task<Dictionary<long, string>> FillAsync(RegistryDbContext db, BlobStore store, IReadOnlyCollection<Missing> missing,
        CancellationToken cancellationToken)
    {
        var found = new Dictionary<long, string>();
        foreach (var m in missing)
        {
            var config = Digest.TryParse(m.ConfigDigest, out var digest) ? new Descriptor(m.ConfigMediaType ?? "", digest.Value, m.ConfigSize) : null;
            var platform = !NeedsRead(config) ? ""
                : FromConfig(await store.ReadAllAsync(config!.Digest, MaxConfigBytes, cancellationToken));
            if (platform is not null) found[m.ManifestId] = platform;
        }
        if (found.Count == 0) return found;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var (id, platform) in found)
            await db.Manifests.Where(x => x.Id == id && x.Platform == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Platform, platform), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return found;
    }
}
