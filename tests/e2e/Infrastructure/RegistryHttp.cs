using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// Plain HTTP calls to a registry's /v2 API, for what skopeo does not expose (deletes, upload sessions); logged in
/// to a Wharf the test started (see <see cref="RegistryAuthHandler"/>).
/// </summary>
public sealed class RegistryHttp(string hostPort) : IDisposable
{
    private readonly HttpClient _client = new(new RegistryAuthHandler(hostPort)) { BaseAddress = new Uri($"http://{hostPort}"), Timeout = TimeSpan.FromMinutes(10) };

    public HttpClient Client => _client;

    public async Task<HttpResponseMessage> DeleteManifestAsync(string repository, string reference) =>
        await _client.DeleteAsync($"/v2/{repository}/manifests/{reference}");

    public async Task<string[]> TagsAsync(string repository)
    {
        using var response = await _client.GetAsync($"/v2/{repository}/tags/list");
        if (!response.IsSuccessStatusCode) return [];
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();
    }

    public async Task<string[]> CatalogAsync()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync("/v2/_catalog"));
        return json.RootElement.GetProperty("repositories").EnumerateArray().Select(t => t.GetString()!).ToArray();
    }

    /// <summary>Fetches a manifest and returns its bytes and the digest the registry claims for it.</summary>
    public async Task<(byte[] Content, string? Digest, string? MediaType, int Status)> ManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        foreach (var type in new[] { OciLayout.ManifestType, OciLayout.IndexType, "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json" })
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        using var response = await _client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.First() : null;
        return (bytes, digest, response.Content.Headers.ContentType?.MediaType, (int)response.StatusCode);
    }

    public async Task<Uri> StartUploadAsync(string repository)
    {
        using var response = await _client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"upload start answered {(int)response.StatusCode}");
        return response.Headers.Location!;
    }

    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public void Dispose() => _client.Dispose();
}
