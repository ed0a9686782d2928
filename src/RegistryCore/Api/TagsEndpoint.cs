using Microsoft.AspNetCore.Http;
using Wharf.Registry.Catalog;

namespace Wharf.Registry.Api;

/// <summary><c>GET /v2/&lt;name&gt;/tags/list?n=&amp;last=</c>.</summary>
internal static class TagsEndpoint
{
    public static async Task<IResult> Get(RegistryRequest request)
    {
        var (n, last) = Pagination.Read(request);
        var page = await request.Service<CatalogService>().TagsAsync(request.Name, n, last, request.Aborted)
            ?? throw new RegistryException(RegistryError.NameUnknown, $"repository {request.Name} is not known to this registry");
        Pagination.SetNextLink(request, $"/v2/{request.Name}/tags/list", n, page);
        return Results.Json(new { name = request.Name, tags = page.Items });
    }
}
