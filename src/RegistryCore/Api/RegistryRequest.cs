using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Auth;
using Wharf.Registry.Content;

namespace Wharf.Registry.Api;

/// <summary>Everything a registry handler gets: the HTTP context, the parsed route and the authorized caller.</summary>
public sealed record RegistryRequest(HttpContext Http, RegistryRoute Route, RegistryCaller Caller)
{
    public string Name => Route.Name;
    public CancellationToken Aborted => Http.RequestAborted;

    public T Service<T>() where T : notnull => Http.RequestServices.GetRequiredService<T>();

    public string? Query(string key) => Http.Request.Query.TryGetValue(key, out var v) ? v.ToString() : null;

    public IRegistryAuthorizer Authorizer => Service<IRegistryAuthorizer>();

    /// <summary>The route's reference as a digest, or DIGEST_INVALID.</summary>
    public Digest RouteDigest() => ParseDigest(Route.Reference);

    public static Digest ParseDigest(string? text) =>
        Digest.TryParse(text, out var digest) ? digest.Value : throw new RegistryException(RegistryError.DigestInvalid, $"'{text}' is not a valid digest");

    public long? ContentLength => Http.Request.ContentLength;

    /// <summary>
    /// Whether the request carries a body: a length above zero, or no length but a body anyway (chunked transfer
    /// encoding in HTTP/1.1; in HTTP/2 a body may simply come without Content-Length, which the server reports).
    /// </summary>
    public bool HasBody => Http.Request.ContentLength > 0 ||
        (Http.Request.ContentLength is null &&
            (Http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true ||
             Http.Request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase)));

    public string? ContentTypeWithoutParameters
    {
        get
        {
            var value = Http.Request.ContentType;
            if (string.IsNullOrWhiteSpace(value)) return null;
            var semicolon = value.IndexOf(';');
            return (semicolon >= 0 ? value[..semicolon] : value).Trim();
        }
    }
}
