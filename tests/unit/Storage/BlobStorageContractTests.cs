using Wharf.Registry.Storage;
using Wharf.Registry.Storage.Azure;
using Wharf.Registry.Storage.FileSystem;
using Wharf.Registry.Storage.InMemory;
using Wharf.Registry.Storage.S3;
using Wharf.Tests.Unit.Storage.Emulators;

namespace Wharf.Tests.Unit.Storage;

public sealed class FileSystemBlobStorageContractTests : BlobStorageContract, IDisposable
{
    private readonly TempDirectory _root = new();
    protected override Task<IBlobStorage> CreateAsync() => Task.FromResult<IBlobStorage>(new FileSystemBlobStorage(_root.Path));
    protected override Task<IBlobStorage> ReopenAsync() => CreateAsync();
    protected override bool SignsUrls => false;
    public void Dispose() => _root.Dispose();
}

public sealed class InMemoryBlobStorageContractTests : BlobStorageContract
{
    protected override Task<IBlobStorage> CreateAsync() => Task.FromResult<IBlobStorage>(new InMemoryBlobStorage());
    protected override Task<IBlobStorage> ReopenAsync() => Task.FromResult(Storage); // one process's memory
    protected override bool SignsUrls => false;
}

/// <summary>The S3 driver against a real S3 server (s3rver), started by the tests.</summary>
public sealed class S3BlobStorageContractTests : BlobStorageContract
{
    private S3StorageOptions _options = null!;

    protected override async Task<IBlobStorage> CreateAsync()
    {
        _options = await LocalS3.OptionsAsync();
        return new S3BlobStorage(_options);
    }

    protected override Task<IBlobStorage> ReopenAsync() => Task.FromResult<IBlobStorage>(new S3BlobStorage(_options));
    protected override bool SignsUrls => true;
}

/// <summary>The Azure Blob driver against Azurite, started by the tests.</summary>
public sealed class AzureBlobStorageContractTests : BlobStorageContract
{
    private AzureStorageOptions _options = null!;

    protected override async Task<IBlobStorage> CreateAsync()
    {
        _options = await LocalAzure.OptionsAsync();
        return new AzureBlobStorage(_options);
    }

    protected override Task<IBlobStorage> ReopenAsync() => Task.FromResult<IBlobStorage>(new AzureBlobStorage(_options));
    protected override bool SignsUrls => true;
}
