using System.Text.Json;
using Wharf.Registry.Content;

namespace Wharf.Registry.Metadata;

/// <summary>Turns a parsed manifest into its metadata row and reference rows (used by pushes and by the importer).</summary>
public static class ManifestRecords
{
    /// <param name="platform">The image's platform, read by <see cref="ManifestPlatforms.ReadAsync"/> before the ledger transaction.</param>
    public static ManifestRecord Create(long repositoryId, string digest, long size, ParsedManifest manifest, string? platform)
    {
        var references = new List<ManifestReferenceRecord>();
        void Add(ReferenceKind kind, Descriptor d) => references.Add(new ManifestReferenceRecord
        {
            Ordinal = references.Count,
            Kind = kind,
            Digest = d.Digest.ToString(),
            MediaType = d.MediaType,
            Size = d.Size,
            Platform = d.Platform,
        });
        if (manifest.Config is { } config) Add(ReferenceKind.Config, config);
        foreach (var layer in manifest.Layers) Add(ReferenceKind.Layer, layer);
        foreach (var child in manifest.Manifests) Add(ReferenceKind.Manifest, child);

        return new ManifestRecord
        {
            RepositoryId = repositoryId,
            Digest = digest,
            MediaType = manifest.MediaType,
            Size = size,
            ArtifactType = manifest.EffectiveArtifactType,
            ConfigDigest = manifest.Config?.Digest.ToString(),
            SubjectDigest = manifest.Subject?.Digest.ToString(),
            AnnotationsJson = manifest.Annotations is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null,
            PushedAt = DateTime.UtcNow,
            Platform = manifest.IsIndex || manifest.Manifests.Count > 0 ? null : platform,
            References = references,
        };
    }
}
