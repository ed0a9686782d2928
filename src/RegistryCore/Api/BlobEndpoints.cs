using System.Globalization;
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
        var head = HttpMethods.IsHead(request.Http.Request.Method);
        var ranged = request.Http.Request.Headers.ContainsKey(HeaderNames.Range);
        var mode = head ? BlobReadMode.Head : ranged ? BlobReadMode.Seekable : BlobReadMode.Stream;
        var blob = await request.Service<IBlobSource>().ReadAsync(request.Name, digest, mode, request.Caller, request.Aborted)
            ?? throw new RegistryException(RegistryError.BlobUnknown, $"blob {digest} is not in repository {request.Name}");

        var response = request.Http.Response;
        var headers = response.Headers;
        headers["Docker-Content-Digest"] = digest.ToString();
        headers.CacheControl = "max-age=31536000";
        if (head)
        {
            headers.AcceptRanges = "bytes";
            headers.ETag = $"\"{digest}\"";
            response.ContentLength = blob.Size;
            response.ContentType = MediaTypes.OctetStream;
            return Results.Empty;
        }

        if (blob.Redirect is { } url)
        {
            // distribution's default for stores that sign URLs: the client fetches the bytes (and any Range) there.
            // The signed URL expires; a cache must not keep the redirect for the blob's year.
            headers.CacheControl = "no-store";
            headers.Location = url.AbsoluteUri;
            return Results.StatusCode(StatusCodes.Status307TemporaryRedirect);
        }

        var range = request.Http.Request.Headers.Range.ToString();
        if (IsInvertedRange(range))
        {
            // RFC 9110 would allow ignoring bytes=500-0, but clients (and the OCI conformance runner) expect 416.
            if (blob.Content is not null) await blob.Content.DisposeAsync();
            if (blob.Size is { } total) headers.ContentRange = $"bytes */{total}";
            return Results.StatusCode(StatusCodes.Status416RangeNotSatisfiable);
        }

        if (!ranged && blob.Size is { } size) request.Service<RegistryMetrics>().BytesSent(size);
        // The framework answers Range with 206 and Content-Range, or 416 when unsatisfiable; it also honours If-None-Match.
        // It does not check the unit, and a range unit other than bytes must be ignored (RFC 9110, 14.2).
        var bytesRange = range.Length == 0 || range.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase);
        var entityTag = new EntityTagHeaderValue($"\"{digest}\"");
        if (blob.LocalFile is { } file)
        {
            if (!ranged && blob.Content is FileStream open && blob.Size is { } length)
            {
                headers.ETag = entityTag.ToString();
                return new LocalFileResult(open, length, MediaTypes.OctetStream);
            }
            if (blob.Content is not null) await blob.Content.DisposeAsync();
            return Results.File(file, MediaTypes.OctetStream, enableRangeProcessing: bytesRange, entityTag: entityTag);
        }
        var stream = blob.Content!;
        // A blob still arriving from an upstream is not seekable; its length is the upstream's.
        if (!stream.CanSeek) response.ContentLength = blob.Size;
        return Results.Stream(stream, MediaTypes.OctetStream, enableRangeProcessing: bytesRange, entityTag: entityTag);
    }

    /// <summary>A single byte range whose last position is before its first, such as <c>bytes=500-0</c>.</summary>
    private static bool IsInvertedRange(string range)
    {
        if (!range.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return false;
        var spec = range[6..].Trim();
        var dash = spec.IndexOf('-');
        return dash > 0 && !spec.Contains(',')
            && long.TryParse(spec[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            && long.TryParse(spec[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            && last < first;
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
