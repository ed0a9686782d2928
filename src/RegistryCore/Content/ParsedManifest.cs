namespace Wharf.Registry.Content;

/// <summary>What the registry needs to know about a manifest: its type and everything it points at.</summary>
public sealed record ParsedManifest(string MediaType)
{
    /// <summary>The image config (image manifests only).</summary>
    public Descriptor? Config { get; init; }
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];
    /// <summary>Child manifests (indexes and manifest lists only).</summary>
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];
    public Descriptor? Subject { get; init; }
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>
    /// The artifact type the referrers API reports: the manifest's own <c>artifactType</c>, else its config's media type
    /// (as the image spec defines for image manifests).
    /// </summary>
    public string? EffectiveArtifactType => ArtifactType ?? (IsIndex ? null : Config?.MediaType);
}
