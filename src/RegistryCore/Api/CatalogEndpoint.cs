using Microsoft.AspNetCore.Http;
using Wharf.Registry.Catalog;

namespace Wharf.Registry.Api;

/// <summary><c>GET /v2/_catalog?n=&amp;last=</c>.</summary>
internal static class CatalogEndpoint
{
    public static async Task<IResult> Get(RegistryRequest request)
    {
        var (n, last) = Pagination.Read(request);
        var page = await request.Service<CatalogService>().RepositoriesAsync(n, last, request.Aborted);
        Pagination.SetNextLink(request, "/v2/_catalog", n, page);
        return Results.Json(new { repositories = page.Items });
    }
}
