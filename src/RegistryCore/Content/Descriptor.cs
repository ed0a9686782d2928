namespace Wharf.Registry.Content;

/// <summary>An OCI content descriptor as it appears inside a manifest.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    public string? Platform { get; init; }
    /// <summary>The external URLs to fetch it from (foreign layers); null for most descriptors.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>Whether the descriptor lists external URLs to fetch it from.</summary>
    public bool HasUrls => Urls is { Count: > 0 };

    /// <summary>Layers that are, by definition, not pushed to a registry: it must not insist on having them.</summary>
    public bool IsExternal => HasUrls || MediaTypes.IsNonDistributable(MediaType);
}
