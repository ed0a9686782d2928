using Wharf.Registry.Storage.Azure;
using Wharf.Registry.Storage.S3;

namespace Wharf.Tests.Unit.Storage;

/// <summary>Driver options as the command-line arguments an operator would give Wharf (distribution's keys).</summary>
public static class StorageSettingsArguments
{
    public static string[] For(S3StorageOptions o) =>
    [
        "--registry:storage:s3:accesskey=" + o.AccessKey,
        "--registry:storage:s3:secretkey=" + o.SecretKey,
        "--registry:storage:s3:region=" + o.Region,
        "--registry:storage:s3:regionendpoint=" + o.RegionEndpoint,
        "--registry:storage:s3:forcepathstyle=" + o.ForcePathStyle,
        "--registry:storage:s3:bucket=" + o.Bucket,
        "--registry:storage:s3:rootdirectory=" + o.RootDirectory,
        "--registry:storage:s3:secure=" + o.Secure,
        "--registry:storage:s3:chunksize=" + o.ChunkSize,
    ];

    public static string[] For(AzureStorageOptions o) =>
    [
        "--registry:storage:azure:accountname=" + o.AccountName,
        "--registry:storage:azure:accountkey=" + o.AccountKey,
        "--registry:storage:azure:container=" + o.Container,
        "--registry:storage:azure:rootdirectory=" + o.RootDirectory,
        "--registry:storage:azure:serviceurl=" + o.ServiceUrl,
    ];
}
