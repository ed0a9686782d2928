using System.Globalization;
using Wharf.Registry.Catalog;

namespace Wharf.Registry.Api;

/// <summary>The <c>n</c>/<c>last</c> query parameters and the RFC 5988 <c>Link</c> header that points at the next page.</summary>
internal static class Pagination
{
    public static (int? N, string? Last) Read(RegistryRequest request)
    {
        var nText = request.Query("n");
        int? n = null;
        if (!string.IsNullOrEmpty(nText))
        {
            if (!int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > CatalogService.MaxPageSize)
                throw new RegistryException(RegistryError.PaginationNumberInvalid, $"n must be a whole number from 0 to {CatalogService.MaxPageSize}");
            n = value;
        }
        var last = request.Query("last");
        if (last is { Length: > 512 }) throw new RegistryException(RegistryError.PaginationNumberInvalid, "last is too long");
        return (n, last);
    }

    public static void SetNextLink(RegistryRequest request, string path, int? n, Page page)
    {
        if (NextLink(path, n, page) is { } link) request.Http.Response.Headers.Link = link;
    }

    /// <summary>The <c>Link</c> header's value for the page after <paramref name="page"/>; null when it is the last.</summary>
    public static string? NextLink(string path, int? n, Page page)
    {
        if (!page.HasMore || page.Items.Count == 0) return null;
        var size = n ?? page.Items.Count;
        return $"<{path}?n={size}&last={Uri.EscapeDataString(page.Items[^1])}>; rel=\"next\"";
    }
}
