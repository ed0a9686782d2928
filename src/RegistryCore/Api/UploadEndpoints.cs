using Microsoft.AspNetCore.Http;
using Wharf.Registry.Auth;
using Wharf.Registry.Blobs;
using Wharf.Registry.Content;
using Wharf.Registry.Uploads;

namespace Wharf.Registry.Api;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/uploads/</c>: start (plain, monolithic with <c>?digest=</c>, or a mount), then PATCH chunks,
/// GET status, PUT to finish, DELETE to cancel.
/// </summary>
internal static class UploadEndpoints
{
    /// <summary>How many holders of a blob a mount without <c>from</c> looks at for one the caller may read.</summary>
    private const int MountCandidates = 20;

    public static async Task<IResult> Start(RegistryRequest request)
    {
        var mount = request.Query("mount");
        if (!string.IsNullOrEmpty(mount) && Digest.TryParse(mount, out var mountDigest) && await TryMountAsync(request, mountDigest.Value))
            return BlobCreated(request, mountDigest.Value);

        var digestText = request.Query("digest");
        if (!string.IsNullOrEmpty(digestText) && string.IsNullOrEmpty(mount))
        {
            var digest = RegistryRequest.ParseDigest(digestText);
            await request.Service<UploadService>().PutMonolithicAsync(request.Name, digest, request.Http.Request.Body, request.ContentLength, request.Caller, request.Aborted);
            return BlobCreated(request, digest);
        }

        var status = await request.Service<UploadService>().StartAsync(request.Name, request.Caller, request.Aborted);
        SetUploadHeaders(request, status);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public static async Task<IResult> Status(RegistryRequest request)
    {
        var status = await request.Service<UploadService>().GetStatusAsync(request.Name, UploadId(request), request.Aborted);
        SetUploadHeaders(request, status);
        return Results.NoContent();
    }

    public static async Task<IResult> Patch(RegistryRequest request)
    {
        var id = UploadId(request);
        var status = await request.Service<UploadService>().AppendAsync(request.Name, id, request.Http.Request.Body, ChunkRange(request), request.ContentLength, request.Aborted);
        SetUploadHeaders(request, status);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public static async Task<IResult> Complete(RegistryRequest request)
    {
        var id = UploadId(request);
        var digest = RegistryRequest.ParseDigest(request.Query("digest"));
        var body = request.HasBody ? request.Http.Request.Body : null;
        await request.Service<UploadService>().CompleteAsync(request.Name, id, digest, body, ChunkRange(request), request.ContentLength, request.Caller, request.Aborted);
        return BlobCreated(request, digest);
    }

    public static async Task<IResult> Cancel(RegistryRequest request)
    {
        await request.Service<UploadService>().CancelAsync(request.Name, UploadId(request), request.Aborted);
        return Results.NoContent();
    }

    private static async Task<bool> TryMountAsync(RegistryRequest request, Digest digest)
    {
        var blobs = request.Service<BlobService>();
        var from = request.Query("from");
        if (!string.IsNullOrEmpty(from))
        {
            // A source the caller may not read is treated as not holding the blob: fall back to a plain upload.
            if (!RepositoryName.IsValid(from) || !await request.Authorizer.IsAllowedAsync(request.Http, new RegistryAccess(from, RegistryAction.Pull)))
                return false;
            return await blobs.MountAsync(request.Name, digest, from, request.Caller, request.Aborted);
        }
        // No source named: mount from any repository the caller may read that holds the blob.
        foreach (var holder in await blobs.RepositoriesHoldingAsync(digest, MountCandidates, request.Aborted))
        {
            if (await request.Authorizer.IsAllowedAsync(request.Http, new RegistryAccess(holder, RegistryAction.Pull)))
                return await blobs.MountAsync(request.Name, digest, holder, request.Caller, request.Aborted);
        }
        return false;
    }

    private static IResult BlobCreated(RegistryRequest request, Digest digest)
    {
        var headers = request.Http.Response.Headers;
        headers.Location = $"/v2/{request.Name}/blobs/{digest}";
        headers["Docker-Content-Digest"] = digest.ToString();
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static void SetUploadHeaders(RegistryRequest request, UploadStatus status)
    {
        var headers = request.Http.Response.Headers;
        headers.Location = $"/v2/{request.Name}/blobs/uploads/{status.Id:D}";
        headers["Docker-Upload-UUID"] = status.Id.ToString("D");
        headers.Range = ContentRange.UploadRangeHeader(status.Size);
        request.Http.Response.ContentLength = 0;
    }

    private static Guid UploadId(RegistryRequest request) =>
        Guid.TryParseExact(request.Route.Reference, "D", out var id)
            ? id
            : throw new RegistryException(RegistryError.BlobUploadUnknown, "no such upload session");

    private static ContentRange? ChunkRange(RegistryRequest request)
    {
        var header = request.Http.Request.Headers.ContentRange.ToString();
        if (string.IsNullOrEmpty(header)) return null;
        return ContentRange.TryParse(header, out var range)
            ? range
            : throw new RegistryException(RegistryError.RangeInvalid, $"invalid Content-Range '{header}'");
    }
}
