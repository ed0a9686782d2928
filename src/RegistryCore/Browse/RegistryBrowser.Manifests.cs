using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Browse;

public sealed partial class RegistryBrowser
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A manifest with its layers, platforms, image config, referrers and raw JSON; null when missing or not visible.</summary>
    public async Task<ManifestDetails?> ManifestAsync(RepositoryVisibility visibility, string repository, string digest, CancellationToken cancellationToken)
    {
        if (!visibility.Allows(repository)) return null;
        var manifest = await (from m in db.Manifests.Include(m => m.References)
                              join r in db.Repositories on m.RepositoryId equals r.Id
                              where r.Name == repository && m.Digest == digest
                              select m).AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        if (manifest is null) return null;
        var tags = await db.Tags.Where(t => t.RepositoryId == manifest.RepositoryId && t.ManifestDigest == digest)
            .OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(cancellationToken);
        var refs = manifest.References.OrderBy(x => x.Ordinal).ToList();
        var config = refs.Where(x => x.Kind == ReferenceKind.Config).Select(x => new LayerInfo(x.Digest, x.MediaType, x.Size)).FirstOrDefault();
        var referrers = await db.Manifests.Where(m => m.RepositoryId == manifest.RepositoryId && m.SubjectDigest == digest)
            .OrderBy(m => m.PushedAt).Select(m => new ReferrerInfo(m.Digest, m.ArtifactType, m.Size)).ToListAsync(cancellationToken);
        var childRefs = refs.Where(x => x.Kind == ReferenceKind.Manifest).ToList();
        var childSizes = await ImageSizesAsync(manifest.RepositoryId, childRefs.Select(c => c.Digest), cancellationToken);
        var configBytes = config is null ? null : await ReadSmallBlobAsync(config.Digest, MaxConfigBytes, cancellationToken);
        return new ManifestDetails(repository, manifest.Digest, manifest.MediaType, manifest.Size, manifest.PushedAt, tags, config,
            refs.Where(x => x.Kind == ReferenceKind.Layer).Select(x => new LayerInfo(x.Digest, x.MediaType, x.Size)).ToList(),
            childRefs.Select(x => new ChildManifestInfo(x.Digest, x.MediaType, x.Size, x.Platform, childSizes.GetValueOrDefault(x.Digest))).ToList(),
            configBytes is null ? null : ImageConfigReader.Read(configBytes),
            referrers, manifest.SubjectDigest,
            Pretty(await ReadSmallBlobAsync(manifest.Digest, MaxManifestBytes, cancellationToken)),
            Pretty(configBytes));
    }

    /// <summary>JSON as people read it: indented. Bytes that are not JSON are shown as they are.</summary>
    private static string? Pretty(byte[]? bytes)
    {
        if (bytes is null) return null;
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            return JsonSerializer.Serialize(json.RootElement, Indented);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
    }
}
