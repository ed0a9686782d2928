using System.Text.Json;
using Microsoft.AspNetCore.Http;
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
            response = Render(request.Name, n, page);
            // Kept only when no tag changed while the page was read: every change bumps the generation in its own
            // transaction, so an unchanged generation means the page is exactly that generation's.
            var after = await catalog.TagListStateAsync(request.Name, request.Aborted);
            if (after == state) cache.Set(key, response);
        }
        if (response.NextLink is not null) request.Http.Response.Headers.Link = response.NextLink;
        return Results.Bytes(response.Json, "application/json; charset=utf-8");
    }

    private static TagListResponse Render(string name, int? n, Page page)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + page.Items.Count * 16);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteStartArray("tags");
            foreach (var tag in page.Items) json.WriteStringValue(tag);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return new TagListResponse(buffer.WrittenSpan.ToArray(), Pagination.NextLink($"/v2/{name}/tags/list", n, page));
    }

    private static RegistryException Unknown(RegistryRequest request) =>
        new(RegistryError.NameUnknown, $"repository {request.Name} is not known to this registry");
}
