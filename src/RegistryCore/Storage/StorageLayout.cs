using Wharf.Registry.Content;

namespace Wharf.Registry.Storage;

/// <summary>
/// Every path Wharf writes in the store is built here and nowhere else. Blob paths are distribution's, so a
/// registry:2 data directory is served without copying; Wharf's own working files live beside them under
/// <c>_wharf</c>, which distribution ignores.
/// </summary>
public static class StorageLayout
{
    public const string V2 = "docker/registry/v2";
    public const string Repositories = V2 + "/repositories";

    public static string BlobData(Digest digest) => $"{V2}/blobs/{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}/data";

    public static string BlobDirectory(Digest digest) => $"{V2}/blobs/{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}";

    public static string BlobsRoot(string algorithm) => $"{V2}/blobs/{algorithm}";

    /// <summary>The digest whose data object <paramref name="key"/> is, or null when it is another key.</summary>
    public static Digest? ParseBlobData(string key)
    {
        // <V2>/blobs/<algorithm>/<xx>/<hex>/data
        var parts = key.Split('/');
        if (parts.Length != 8 || !key.StartsWith(V2 + "/blobs/", StringComparison.Ordinal) || parts[7] != "data") return null;
        return Digest.TryParse($"{parts[4]}:{parts[6]}", out var digest) && parts[5].Length == 2 && digest.Value.Hex.StartsWith(parts[5], StringComparison.Ordinal)
            ? digest
            : null;
    }

    /// <summary>The data of an upload session; <paramref name="uploadId"/> is a GUID Wharf made.</summary>
    public static string UploadData(Guid uploadId) => $"{V2}/_wharf/uploads/{uploadId:D}/data";

    public static string UploadDirectory(Guid uploadId) => $"{V2}/_wharf/uploads/{uploadId:D}";

    public const string UploadsRoot = V2 + "/_wharf/uploads";

    /// <summary>A scratch file for a write that is committed by renaming it into place.</summary>
    public static string Scratch(Guid id) => $"{ScratchRoot}/{id:N}";

    public const string ScratchRoot = V2 + "/_wharf/tmp";

    /// <summary>
    /// The record of a write that takes several requests on an object store (an S3 multipart upload, Azure staged
    /// blocks), kept while it runs, so that upload purging can abort it after a crash.
    /// </summary>
    public static string PendingWrite(Guid id) => $"{PendingWritesRoot}/{id:N}";

    public const string PendingWritesRoot = V2 + "/_wharf/writes";

    // distribution's repository tree, read by the importer and written by the exporter.
    public static string RepositoryDirectory(string name) => $"{Repositories}/{name}";

    public static string LayerLink(string repository, Digest digest) => $"{Repositories}/{repository}/_layers/{digest.Algorithm}/{digest.Hex}/link";

    public static string RevisionLink(string repository, Digest digest) =>
        $"{Repositories}/{repository}/_manifests/revisions/{digest.Algorithm}/{digest.Hex}/link";

    public static string TagCurrentLink(string repository, string tag) => $"{Repositories}/{repository}/_manifests/tags/{tag}/current/link";

    public static string TagIndexLink(string repository, string tag, Digest digest) =>
        $"{Repositories}/{repository}/_manifests/tags/{tag}/index/{digest.Algorithm}/{digest.Hex}/link";

    /// <summary>
    /// Written by every import and export: its modification time (on the store's own clock, like the link files') is
    /// when Wharf's metadata and the link files last agreed. See <c>DistributionImporter</c>'s merge.
    /// </summary>
    public const string DistributionSyncMarker = V2 + "/_wharf/distribution-sync";
}
