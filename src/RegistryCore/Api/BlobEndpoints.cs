using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Wharf.Registry.Blobs;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Api;

/// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: HEAD, GET (with Range) and DELETE.</summary>
internal static class BlobEndpoints
{
    public static async Task<IResult> Get(RegistryRequest request)
    {
        var digest = request.RouteDigest();
        var blobs = request.Service<BlobService>();
        var size = await blobs.StatAsync(request.Name, digest, request.Aborted)
            ?? throw new RegistryException(RegistryError.BlobUnknown, $"blob {digest} is not in repository {request.Name}");

        var headers = request.Http.Response.Headers;
        headers["Docker-Content-Digest"] = digest.ToString();
        headers.CacheControl = "max-age=31536000";
        if (HttpMethods.IsHead(request.Http.Request.Method))
        {
            headers.AcceptRanges = "bytes";
            headers.ETag = $"\"{digest}\"";
            request.Http.Response.ContentLength = size;
            request.Http.Response.ContentType = MediaTypes.OctetStream;
            return Results.Empty;
        }

        var stream = await blobs.OpenReadAsync(digest, request.Aborted);
        if (!request.Http.Request.Headers.ContainsKey(HeaderNames.Range)) request.Service<RegistryMetrics>().BytesSent(size);
        // The framework answers Range with 206 and Content-Range, or 416 when unsatisfiable; it also honours If-None-Match.
        return Results.Stream(stream, MediaTypes.OctetStream, enableRangeProcessing: true,
            entityTag: new EntityTagHeaderValue($"\"{digest}\""));
    }

    public static async Task<IResult> Delete(RegistryRequest request)
    {
        var options = request.Service<Microsoft.Extensions.Options.IOptions<Configuration.RegistryOptions>>().Value;
        if (!options.DeleteEnabled)
            throw new RegistryException(RegistryError.Unsupported, "deleting is disabled on this registry (storage.delete.enabled is false)");
        var digest = request.RouteDigest();
        if (!await request.Service<BlobService>().DeleteAsync(request.Name, digest, request.Caller, request.Aborted))
            throw new RegistryException(RegistryError.BlobUnknown, $"blob {digest} is not in repository {request.Name}");
        return Results.Accepted();
    }
}
