using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Api;

/// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: HEAD, GET, PUT and DELETE by tag or digest.</summary>
internal static class ManifestEndpoints
{
    public static async Task<IResult> Get(RegistryRequest request)
    {
        var reference = request.Route.Reference;
        var manifests = request.Service<IManifestSource>();
        var manifest = await manifests.FindAsync(request.Name, reference, request.Caller, request.Aborted)
            ?? throw new RegistryException(RegistryError.ManifestUnknown, $"manifest '{reference}' is not in repository {request.Name}");

        var response = request.Http.Response;
        response.Headers["Docker-Content-Digest"] = manifest.Digest;
        response.Headers.ETag = $"\"{manifest.Digest}\"";
        if (HttpMethods.IsHead(request.Http.Request.Method))
        {
            response.ContentType = manifest.MediaType;
            response.ContentLength = manifest.Size;
            return Results.Empty;
        }
        var content = await manifests.ReadContentAsync(manifest, request.Aborted);
        request.Service<IRegistryEventSink>().Publish(new RegistryEvent(RegistryEventKind.ManifestPulled, request.Name, request.Caller)
        {
            Digest = manifest.Digest,
            Tag = Digest.LooksLikeDigest(reference) ? null : reference,
            MediaType = manifest.MediaType,
        });
        return Results.Bytes(content, manifest.MediaType);
    }

    public static async Task<IResult> Put(RegistryRequest request)
    {
        var limit = request.Service<IOptions<RegistryOptions>>().Value.MaxManifestBytes;
        var content = await ReadBoundedAsync(request.Http.Request.Body, limit, request.Aborted);
        var pushed = await request.Service<ManifestService>().PutAsync(request.Name, request.Route.Reference, content,
            request.ContentTypeWithoutParameters, request.Caller, request.Aborted);

        var headers = request.Http.Response.Headers;
        headers.Location = $"/v2/{request.Name}/manifests/{pushed.Digest}";
        headers["Docker-Content-Digest"] = pushed.Digest.ToString();
        if (pushed.SubjectDigest is not null) headers["OCI-Subject"] = pushed.SubjectDigest;
        request.Http.Response.ContentLength = 0;
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    public static async Task<IResult> Delete(RegistryRequest request)
    {
        var reference = request.Route.Reference;
        if (Digest.LooksLikeDigest(reference)) RegistryRequest.ParseDigest(reference);
        if (!await request.Service<ManifestService>().DeleteAsync(request.Name, reference, request.Caller, request.Aborted))
            throw new RegistryException(RegistryError.ManifestUnknown, $"manifest '{reference}' is not in repository {request.Name}");
        return Results.Accepted();
    }

    /// <summary>Reads a manifest body, refusing with 413 anything over the limit without reading it all.</summary>
    private static async Task<byte[]> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new RegistryException(RegistryError.ManifestTooLarge, $"manifest is larger than the {limit} byte limit");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new RegistryException(RegistryError.ManifestInvalid, "the manifest body is empty");
        return buffer.ToArray();
    }
}
