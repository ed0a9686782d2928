using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace Wharf.Tests.Unit.Api;

/// <summary>Digests as a client computes them.</summary>
public static class Digests
{
    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Sha512(byte[] content) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content));

    /// <summary>sha256("hello world"): the conformance suite's digest that is never pushed.</summary>
    public const string Dummy = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
}

/// <summary>One entry of the spec's error body.</summary>
public sealed record RegistryErrorEntry(string Code, string Message, JsonElement Detail);

/// <summary>The registry protocol steps the tests repeat, each asserting that the step itself succeeded.</summary>
public static class RegistryClient
{
    public const string OctetStream = "application/octet-stream";

    /// <summary>Adds a query parameter to a (possibly relative) Location.</summary>
    public static string WithQuery(string location, string query) =>
        location + (location.Contains('?') ? "&" : "?") + query;

    public static string Location(HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        Assert.NotNull(location);
        var text = location.OriginalString;
        Assert.False(string.IsNullOrEmpty(text));
        return text;
    }

    public static ByteArrayContent Bytes(byte[] content, string contentType = OctetStream)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return body;
    }

    /// <summary><c>POST /v2/&lt;name&gt;/blobs/uploads/</c>, expecting 202; returns the session Location.</summary>
    public static async Task<string> StartUploadAsync(this HttpClient client, string repository)
    {
        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Location(response);
    }

    /// <summary>Pushes a blob the two-step way (POST, then <c>PUT ?digest=</c> with the body); returns its digest.</summary>
    public static async Task<string> PushBlobAsync(this HttpClient client, string repository, byte[] content, string? digest = null)
    {
        digest ??= Digests.Sha256(content);
        var location = await client.StartUploadAsync(repository);
        using var response = await client.PutAsync(WithQuery(location, "digest=" + digest), Bytes(content));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{repository}/blobs/{digest}", Location(response));
        return digest;
    }

    public static Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, string repository, string reference, byte[] content, string mediaType) =>
        client.PutAsync($"/v2/{repository}/manifests/{reference}", Bytes(content, mediaType));

    /// <summary>Pushes a manifest under a tag or digest, expecting 201; returns its digest.</summary>
    public static async Task<string> PushManifestAsync(this HttpClient client, string repository, string reference, byte[] content, string mediaType)
    {
        using var response = await client.PutManifestAsync(repository, reference, content, mediaType);
        var digest = Digests.Sha256(content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT manifest {reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(digest, Header(response, "Docker-Content-Digest"));
        Assert.Equal($"/v2/{repository}/manifests/{digest}", Location(response));
        return digest;
    }

    /// <summary>Pushes a manifest's config and layers (given as contents), then the manifest under <paramref name="reference"/>.</summary>
    public static async Task<string> PushImageAsync(this HttpClient client, string repository, string reference, TestImage image)
    {
        foreach (var blob in image.Blobs) await client.PushBlobAsync(repository, blob);
        return await client.PushManifestAsync(repository, reference, image.Manifest, image.MediaType);
    }

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string uri, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, uri);
        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    /// <summary>A response header's single value (looking at content headers too), or null.</summary>
    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values)) return string.Join(",", values);
        if (response.Content.Headers.TryGetValues(name, out var contentValues)) return string.Join(",", contentValues);
        return null;
    }

    /// <summary>
    /// Asserts the response is the spec's error: the status, <c>Content-Type: application/json</c> and a body
    /// <c>{"errors":[{"code","message","detail"}]}</c> whose first code is <paramref name="code"/>.
    /// </summary>
    public static async Task<RegistryErrorEntry> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("registry/2.0", Header(response, "Docker-Distribution-API-Version"));
        var errors = ParseErrors(body);
        Assert.NotEmpty(errors);
        Assert.Equal(code, errors[0].Code);
        return errors[0];
    }

    /// <summary>
    /// The error answer to a request: for HEAD only the status and Content-Type (a HEAD response has no body to
    /// carry the code), otherwise everything <see cref="AssertErrorAsync"/> checks.
    /// </summary>
    public static async Task AssertErrorOrHeadAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        if (response.RequestMessage?.Method != HttpMethod.Head)
        {
            await AssertErrorAsync(response, status, code);
            return;
        }
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("registry/2.0", Header(response, "Docker-Distribution-API-Version"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Parses the error body strictly: every entry must have a string code and message and a detail member.</summary>
    public static List<RegistryErrorEntry> ParseErrors(string body)
    {
        using var document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        var errors = document.RootElement.GetProperty("errors");
        Assert.Equal(JsonValueKind.Array, errors.ValueKind);
        var list = new List<RegistryErrorEntry>();
        foreach (var error in errors.EnumerateArray())
        {
            var code = error.GetProperty("code");
            var message = error.GetProperty("message");
            Assert.Equal(JsonValueKind.String, code.ValueKind);
            Assert.Equal(JsonValueKind.String, message.ValueKind);
            Assert.True(error.TryGetProperty("detail", out var detail), "error entry has no detail member");
            list.Add(new RegistryErrorEntry(code.GetString()!, message.GetString()!, detail.Clone()));
        }
        return list;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public static async Task<List<string>> TagsAsync(this HttpClient client, string repository)
    {
        using var response = await client.GetAsync($"/v2/{repository}/tags/list");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal(repository, json.GetProperty("name").GetString());
        return json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    public static async Task<List<string>> CatalogAsync(this HttpClient client)
    {
        using var response = await client.GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        return json.GetProperty("repositories").EnumerateArray().Select(t => t.GetString()!).ToList();
    }
}
