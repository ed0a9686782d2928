using Wharf.Registry.Storage.S3;

namespace Wharf.Tests.Unit.Storage.Emulators;

/// <summary>One s3rver for the whole test run, with one bucket; each test class works under its own root directory.</summary>
public static class LocalS3
{
    public const string Bucket = "wharf-tests";
    private static readonly Lazy<Task<EmulatorProcess>> Server = new(() => EmulatorProcess.StartAsync("s3rver",
        (dir, port) => $"--directory {dir} --address 127.0.0.1 --port {port} --silent --configure-bucket {Bucket}",
        // s3rver signs ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 has only in its legacy provider.
        new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" }));

    public static async Task<S3StorageOptions> OptionsAsync(string? rootDirectory = null) => new()
    {
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        Region = "us-east-1",
        RegionEndpoint = $"http://127.0.0.1:{(await Server.Value).Port}",
        ForcePathStyle = true,
        Secure = false,
        Bucket = Bucket,
        RootDirectory = rootDirectory ?? $"/tests/{Guid.NewGuid():N}",
        ChunkSize = S3StorageOptions.MinimumChunkSize,
    };
}
