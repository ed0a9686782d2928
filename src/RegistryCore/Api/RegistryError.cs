namespace Wharf.Registry;

/// <summary>
/// Every error the registry API can answer with, registered once with its spec code, HTTP status and default
/// message. Handlers only name the error (distribution's errcode idea).
/// </summary>
public sealed record RegistryError(string Code, int Status, string Message)
{
    public static readonly RegistryError BlobUnknown = new("BLOB_UNKNOWN", 404, "blob unknown to registry");
    public static readonly RegistryError BlobUploadInvalid = new("BLOB_UPLOAD_INVALID", 400, "blob upload invalid");
    public static readonly RegistryError BlobUploadUnknown = new("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry");
    public static readonly RegistryError DigestInvalid = new("DIGEST_INVALID", 400, "provided digest did not match uploaded content");
    public static readonly RegistryError ManifestBlobUnknown = new("MANIFEST_BLOB_UNKNOWN", 400, "manifest references a manifest or blob unknown to registry");
    public static readonly RegistryError ManifestInvalid = new("MANIFEST_INVALID", 400, "manifest invalid");
    public static readonly RegistryError ManifestUnknown = new("MANIFEST_UNKNOWN", 404, "manifest unknown to registry");
    public static readonly RegistryError NameInvalid = new("NAME_INVALID", 400, "invalid repository name");
    public static readonly RegistryError NameUnknown = new("NAME_UNKNOWN", 404, "repository name not known to registry");
    public static readonly RegistryError SizeInvalid = new("SIZE_INVALID", 400, "provided length did not match content length");
    public static readonly RegistryError TagInvalid = new("TAG_INVALID", 400, "manifest tag did not match URI");
    public static readonly RegistryError Unauthorized = new("UNAUTHORIZED", 401, "authentication required");
    public static readonly RegistryError Denied = new("DENIED", 403, "requested access to the resource is denied");
    public static readonly RegistryError Unsupported = new("UNSUPPORTED", 405, "the operation is unsupported");
    public static readonly RegistryError TooManyRequests = new("TOOMANYREQUESTS", 429, "too many requests");
    /// <summary>Out-of-order or overlapping chunk: 416 with the upload's current range.</summary>
    public static readonly RegistryError RangeInvalid = new("BLOB_UPLOAD_INVALID", 416, "requested range not satisfiable");
    public static readonly RegistryError ManifestTooLarge = new("MANIFEST_INVALID", 413, "manifest too large");
    public static readonly RegistryError Unavailable = new("UNAVAILABLE", 503, "service unavailable");
    public static readonly RegistryError PaginationNumberInvalid = new("PAGINATION_NUMBER_INVALID", 400, "invalid number of results requested");
    /// <summary>The disk holding blobs or metadata is full: nothing was stored; pulls and deletes still work.</summary>
    public static readonly RegistryError StorageFull = new("UNAVAILABLE", 507, "the registry's storage is full: nothing was stored; ask the operator to free space (deletes and garbage collection still work)");
    /// <summary>The data directory became read-only: pulls still work.</summary>
    public static readonly RegistryError StorageReadOnly = new("UNSUPPORTED", 405, "the registry's storage is read-only: pulls work, pushes and deletes do not");
    /// <summary>Anything the engine did not expect: the spec's body, with a request id that is also in the log.</summary>
    public static readonly RegistryError Internal = new("UNKNOWN", 500, "unknown error");
    /// <summary>A route that is not part of the API.</summary>
    public static readonly RegistryError NotFound = new("NOT_FOUND", 404, "not found");
    public static readonly RegistryError MethodNotAllowed = new("UNSUPPORTED", 405, "method not allowed for this route");

    public RegistryError WithStatus(int status) => this with { Status = status };
}

/// <summary>Thrown by the engine to answer a request with a registry error.</summary>
public sealed class RegistryException(RegistryError error, string? message = null, object? detail = null)
    : Exception(message ?? error.Message)
{
    public RegistryError Error { get; } = error;
    public object? Detail { get; } = detail;
    /// <summary>Extra response headers (e.g. the upload's Range on a 416).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
