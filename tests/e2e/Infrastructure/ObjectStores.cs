using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage;
using Azure.Storage.Blobs;
using Wharf.Tests.Unit.Storage.Emulators;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// An object store for a Wharf under test: the emulator (one per run), a root directory of its own in the bucket or
/// container, the config.yml section that points Wharf at it, and a plain SDK client to seed and inspect it.
/// </summary>
public abstract class ObjectStore
{
    public string RootDirectory { get; } = $"e2e/{Guid.NewGuid():N}";

    /// <summary>The <c>storage:</c> back-end section of a distribution config.yml, indented for it.</summary>
    public abstract string StorageYaml { get; }

    public abstract int Port { get; }

    /// <summary>Uploads a file as the object <c>&lt;rootdirectory&gt;/&lt;key&gt;</c>, as registry:2's driver names it.</summary>
    public abstract Task PutAsync(string key, string file);

    /// <summary>Keys under the root directory (relative to it) whose path starts with <paramref name="prefix"/>.</summary>
    public abstract Task<List<string>> KeysAsync(string prefix);
}

public sealed class S3Store : ObjectStore
{
    public const string Bucket = "wharf-e2e";
    private static readonly Lazy<Task<EmulatorProcess>> Server = new(() => EmulatorProcess.StartAsync("s3rver",
        (dir, port) => $"--directory {dir} --address 127.0.0.1 --port {port} --silent --configure-bucket {Bucket}",
        new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" }));

    private readonly EmulatorProcess _server;
    private readonly AmazonS3Client _client;

    private S3Store(EmulatorProcess server)
    {
        _server = server;
        _client = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
        {
            ServiceURL = $"http://127.0.0.1:{server.Port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public static async Task<S3Store> StartAsync() => new(await Server.Value);

    public override int Port => _server.Port;

    public override string StorageYaml => $"""
          s3:
            accesskey: S3RVER
            secretkey: S3RVER
            region: us-east-1
            regionendpoint: http://127.0.0.1:{Port}
            forcepathstyle: true
            secure: false
            bucket: {Bucket}
            rootdirectory: /{RootDirectory}
        """;

    public override Task PutAsync(string key, string file) =>
        _client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = $"{RootDirectory}/{key}", FilePath = file, UseChunkEncoding = false });

    public override async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = $"{RootDirectory}/{prefix}" };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key[(RootDirectory.Length + 1)..]));
            request.ContinuationToken = response.NextContinuationToken;
        } while (response.IsTruncated == true);
        return keys;
    }
}

public sealed class AzureStore : ObjectStore
{
    public const string Account = "devstoreaccount1";
    public const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public const string Container = "wharf-e2e";
    private static readonly Lazy<Task<EmulatorProcess>> Server = new(() => EmulatorProcess.StartAsync("azurite-blob",
        (dir, port) => $"--location {dir} --blobHost 127.0.0.1 --blobPort {port} --silent --skipApiVersionCheck --loose"));

    private readonly EmulatorProcess _server;
    private readonly BlobContainerClient _container;

    private AzureStore(EmulatorProcess server)
    {
        _server = server;
        _container = new BlobServiceClient(new Uri($"http://127.0.0.1:{server.Port}/{Account}"), new StorageSharedKeyCredential(Account, Key))
            .GetBlobContainerClient(Container);
    }

    public static async Task<AzureStore> StartAsync()
    {
        var store = new AzureStore(await Server.Value);
        await store._container.CreateIfNotExistsAsync();
        return store;
    }

    public override int Port => _server.Port;

    public override string StorageYaml => $"""
          azure:
            accountname: {Account}
            accountkey: {Key}
            container: {Container}
            serviceurl: http://127.0.0.1:{Port}/{Account}
            rootdirectory: /{RootDirectory}
        """;

    public override async Task PutAsync(string key, string file) =>
        await _container.GetBlobClient($"{RootDirectory}/{key}").UploadAsync(file, overwrite: true);

    public override async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"{RootDirectory}/{prefix}" }))
            keys.Add(blob.Name[(RootDirectory.Length + 1)..]);
        return keys;
    }
}
