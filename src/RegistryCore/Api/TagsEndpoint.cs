using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Wharf.Registry.Caching;
using Wharf.Registry.Catalog;

namespace Wharf.Registry.Api;

/// <summary>
/// <c>GET /v2/&lt;name&gt;/tags/list?n=&amp;last=</c>, answered from <see cref="TagListCache"/> when the repository's
/// tags have not changed since the page was rendered (one indexed read of its tag generation per request).
/// </summary>
internal static class TagsEndpoint
{
    public static async Task<IResult> Get(RegistryRequest request)
    {
        var (n, last) = Pagination.Read(request);
        var catalog = request.Service<CatalogService>();
        var cache = request.Service<TagListCache>();
        var state = await catalog.TagListStateAsync(request.Name, request.Aborted) ?? throw Unknown(request);
        var key = new TagListKey(state.RepositoryId, state.Generation, n, last);
        var response = cache.Get(key);
        if (response is null)
        {
            var page = await catalog.TagsAsync(state.RepositoryId, n, last, request.Aborted);
            response = Render(request, n, page);
            // Kept only when no tag changed while the page was read: every change bumps the generation in its own
            // transaction, so an unchanged generation means the page is exactly that generation's.
            var after = await catalog.TagListStateAsync(request.Name, request.Aborted);
            if (after == state) cache.Set(key, response);
        }
        if (response.NextLink is not null) request.Http.Response.Headers.Link = response.NextLink;
        return Results.Bytes(response.Json, "application/json; charset=utf-8");
    }

    /// <summary>
    /// The page as <c>Results.Json</c> would write it (the host's JSON options, as <c>_catalog</c> is written), but as
    /// bytes: a cached page is sent as it is, with no serializing per request.
    /// </summary>
    private static TagListResponse Render(RegistryRequest request, int? n, Page page)
    {
        var options = request.Service<IOptions<JsonOptions>>().Value.SerializerOptions;
        var json = JsonSerializer.SerializeToUtf8Bytes(new TagListBody(request.Name, page.Items), options);
        return new TagListResponse(json, Pagination.NextLink($"/v2/{request.Name}/tags/list", n, page));
    }

    /// <summary>The <c>tags/list</c> body of the distribution spec.</summary>
    private sealed record TagListBody(string Name, IReadOnlyList<string> Tags);

    private static RegistryException Unknown(RegistryRequest request) =>
        new(RegistryError.NameUnknown, $"repository {request.Name} is not known to this registry");
}
