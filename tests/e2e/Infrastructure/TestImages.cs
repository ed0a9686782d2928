using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>Pushes a blob, or a one-layer OCI image, through the registry API as a client does.</summary>
public static class TestImages
{
    public static async Task<HttpResponseMessage> PushBlobAsync(RegistryHttp http, string repository, byte[] content)
    {
        var started = await http.Client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        if (started.StatusCode != HttpStatusCode.Accepted) return started;
        var location = started.Headers.Location!;
        started.Dispose();
        var digest = RegistryHttp.Sha256(content);
        var url = location.OriginalString + (location.OriginalString.Contains('?') ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await http.Client.PutAsync(url, body);
    }

    public static async Task<string> PushImageAsync(RegistryHttp http, string repository, string tag, byte[] layer)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"tag\":\"{tag}\"}}");
        foreach (var blob in new[] { layer, config })
        {
            using var pushed = await PushBlobAsync(http, repository, blob);
            if (pushed.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"pushing a blob answered {(int)pushed.StatusCode} {await pushed.Content.ReadAsStringAsync()}");
        }
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = RegistryHttp.Sha256(config), size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar", digest = RegistryHttp.Sha256(layer), size = layer.Length } },
        });
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.Client.PutAsync($"/v2/{repository}/manifests/{tag}", content);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"pushing the manifest answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return RegistryHttp.Sha256(manifest);
    }
}
