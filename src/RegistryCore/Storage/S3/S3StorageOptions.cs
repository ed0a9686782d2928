namespace Wharf.Registry.Storage.S3;

/// <summary>distribution's <c>storage.s3</c> section, with the same keys and defaults.</summary>
public sealed class S3StorageOptions
{
    public const long MinimumChunkSize = 5L << 20;

    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public string? Region { get; set; }
    /// <summary>An S3-compatible endpoint (MinIO, Ceph, a local server); AWS's regional endpoint when null.</summary>
    public string? RegionEndpoint { get; set; }
    public bool ForcePathStyle { get; set; }
    public string? Bucket { get; set; }
    public string RootDirectory { get; set; } = "";
    /// <summary>HTTPS to the endpoint (distribution's default true).</summary>
    public bool Secure { get; set; } = true;
    /// <summary>Multipart part size in bytes (distribution's default 10 MiB, at least 5 MiB).</summary>
    public long ChunkSize { get; set; } = 10L << 20;
    public bool Encrypt { get; set; }
    public string? KeyId { get; set; }
    public string StorageClass { get; set; } = "STANDARD";

    /// <summary>What is wrong with the settings, in the words of config.yml; empty when they can be used.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Bucket)) yield return "storage.s3.bucket is required";
        if (string.IsNullOrWhiteSpace(Region)) yield return "storage.s3.region is required (any value for an S3-compatible server, e.g. us-east-1)";
        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
            yield return "storage.s3.accesskey and storage.s3.secretkey go together (leave both out to use the AWS credential chain)";
        if (ChunkSize < MinimumChunkSize) yield return $"storage.s3.chunksize must be at least {MinimumChunkSize} bytes (5 MiB), S3's smallest part";
        if (ChunkSize > int.MaxValue) yield return "storage.s3.chunksize must be under 2 GiB";
        if (RegionEndpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint.Contains("://") ? endpoint : "https://" + endpoint, UriKind.Absolute, out _))
            yield return $"storage.s3.regionendpoint '{endpoint}' is not a URL";
        if (!string.IsNullOrEmpty(KeyId) && !Encrypt) yield return "storage.s3.keyid needs storage.s3.encrypt: true";
        if (StorageClass is not ("STANDARD" or "REDUCED_REDUNDANCY" or "STANDARD_IA" or "ONEZONE_IA" or "INTELLIGENT_TIERING" or "GLACIER_IR" or "NONE"))
            yield return $"storage.s3.storageclass '{StorageClass}' is not one Wharf can write (STANDARD, REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, NONE)";
    }
}
