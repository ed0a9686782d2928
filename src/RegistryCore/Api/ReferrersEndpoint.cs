using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Wharf.Registry.Content;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Api;

/// <summary><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;?artifactType=</c>: an OCI index of the manifests whose subject is the digest.</summary>
internal static class ReferrersEndpoint
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static async Task<IResult> Get(RegistryRequest request)
    {
        var digest = request.RouteDigest();
        var artifactType = request.Query("artifactType");
        var referrers = await request.Service<ReferrersService>().ListAsync(request.Name, digest.ToString(), artifactType, request.Aborted);
        if (!string.IsNullOrEmpty(artifactType)) request.Http.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.OciIndex,
            manifests = referrers.Select(r => new { mediaType = r.MediaType, digest = r.Digest, size = r.Size, artifactType = r.ArtifactType, annotations = r.Annotations }),
        }, Json);
        // Exactly the index media type, with no charset parameter: clients compare it as a string.
        return Results.Bytes(body, MediaTypes.OciIndex);
    }
}
