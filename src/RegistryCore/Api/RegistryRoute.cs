using System.Text.RegularExpressions;

namespace Wharf.Registry.Api;

public enum RouteKind
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Referrers,
}

/// <summary>
/// A /v2 path taken apart. Repository names have several '/'-separated components, which endpoint routing cannot
/// express in the middle of a path, so the registry routes are matched here, in one place, longest name first.
/// </summary>
public sealed partial record RegistryRoute(RouteKind Kind, string Name, string Reference)
{
    [GeneratedRegex(@"^/v2/(?<name>.+)/tags/list$", RegexOptions.CultureInvariant)]
    private static partial Regex TagsPattern();

    [GeneratedRegex(@"^/v2/(?<name>.+)/manifests/(?<ref>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ManifestPattern();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/uploads/?$", RegexOptions.CultureInvariant)]
    private static partial Regex UploadStartPattern();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/uploads/(?<ref>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex UploadPattern();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/(?<ref>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BlobPattern();

    [GeneratedRegex(@"^/v2/(?<name>.+)/referrers/(?<ref>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ReferrersPattern();

    private static readonly (RouteKind Kind, Func<Regex> Pattern)[] Patterns =
    [
        (RouteKind.Tags, TagsPattern),
        (RouteKind.UploadStart, UploadStartPattern),
        (RouteKind.Upload, UploadPattern),
        (RouteKind.Manifest, ManifestPattern),
        (RouteKind.Blob, BlobPattern),
        (RouteKind.Referrers, ReferrersPattern),
    ];

    /// <param name="path">The request path as the client sent it (still percent-encoded).</param>
    public static RegistryRoute? Match(string path)
    {
        if (path is "/v2" or "/v2/") return new RegistryRoute(RouteKind.Base, "", "");
        if (path is "/v2/_catalog") return new RegistryRoute(RouteKind.Catalog, "", "");
        // An encoded character in the path can only be a trick: names, tags and digests never need one.
        if (path.Contains('%')) return null;
        foreach (var (kind, pattern) in Patterns)
        {
            var match = pattern().Match(path);
            if (match.Success) return new RegistryRoute(kind, match.Groups["name"].Value, match.Groups["ref"].Value);
        }
        return null;
    }
}
