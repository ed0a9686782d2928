using System.Text;
using Wharf.Registry;
using Wharf.Registry.Content;
using Wharf.Registry.Storage;
using Wharf.Registry.Storage.FileSystem;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

public sealed class BlobStoreTests : IDisposable
{
    private static readonly byte[] Content = "hello world"u8.ToArray();
    private static readonly Digest ContentDigest = Digest.Parse("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempDirectory _dir = new();
    private readonly FileSystemBlobStorage _driver;
    private readonly BlobStore _store;

    public BlobStoreTests()
    {
        _driver = new FileSystemBlobStorage(_dir.Path);
        _store = new BlobStore(_driver);
    }

    public void Dispose() => _dir.Dispose();

    private string BlobFile(Digest digest) => _driver.Resolve(StorageLayout.BlobData(digest));

    private async Task AssertNothingStoredAsync(Digest digest)
    {
        Assert.Null(await _driver.StatAsync(StorageLayout.BlobData(digest), None));
        Assert.False(File.Exists(BlobFile(digest)));
        await foreach (var entry in _driver.ListAllAsync(StorageLayout.ScratchRoot + "/", None))
            Assert.Fail($"temporary file left behind: {entry.Key}");
    }

    [Theory]
    [InlineData(11L)]
    [InlineData(null)]
    public async Task WriteAsync_commits_verified_content_under_its_digest(long? expectedLength)
    {
        var written = await _store.WriteAsync(new MemoryStream(Content), ContentDigest, expectedLength, None);

        Assert.Equal(11, written);
        Assert.Equal(
            _driver.Resolve("docker/registry/v2/blobs/sha256/b9/b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9/data"),
            BlobFile(ContentDigest));
        Assert.Equal(Content, File.ReadAllBytes(BlobFile(ContentDigest)));
        Assert.Equal(11, await _store.SizeAsync(ContentDigest, None));
        Assert.Equal(Content, await _store.ReadAllAsync(ContentDigest, 1024, None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_driver.Resolve(StorageLayout.ScratchRoot)));
    }

    [Fact]
    public async Task WriteAsync_copies_to_the_tee()
    {
        var tee = new MemoryStream();
        await _store.WriteAsync(new MemoryStream(Content), ContentDigest, 11, None, tee);
        Assert.Equal(Content, tee.ToArray());
    }

    [Fact]
    public async Task WriteAsync_with_the_wrong_digest_stores_nothing()
    {
        var claimed = Digest.Sha256Of("something else"u8);
        var e = await Assert.ThrowsAsync<RegistryException>(() => _store.WriteAsync(new MemoryStream(Content), claimed, 11, None));

        Assert.Same(RegistryError.DigestInvalid, e.Error);
        await AssertNothingStoredAsync(claimed);
        await AssertNothingStoredAsync(ContentDigest);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(0)]
    public async Task WriteAsync_with_the_wrong_length_stores_nothing(long expectedLength)
    {
        var e = await Assert.ThrowsAsync<RegistryException>(() => _store.WriteAsync(new MemoryStream(Content), ContentDigest, expectedLength, None));

        Assert.Same(RegistryError.SizeInvalid, e.Error);
        await AssertNothingStoredAsync(ContentDigest);
    }

    [Fact]
    public async Task PutAsync_is_idempotent()
    {
        await _store.PutAsync(ContentDigest, Content, None);
        var file = BlobFile(ContentDigest);
        Assert.Equal(Content, File.ReadAllBytes(file));
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, stamp);

        await _store.PutAsync(ContentDigest, Content, None);

        Assert.Equal(Content, File.ReadAllBytes(file));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(file)); // already there: not rewritten
        Assert.Empty(Directory.EnumerateFileSystemEntries(_driver.Resolve(StorageLayout.ScratchRoot)));
    }

    [Fact]
    public async Task PutAsync_repairs_a_truncated_blob()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BlobFile(ContentDigest))!);
        File.WriteAllText(BlobFile(ContentDigest), "hello");

        await _store.PutAsync(ContentDigest, Content, None);

        Assert.Equal(Content, File.ReadAllBytes(BlobFile(ContentDigest)));
    }

    [Fact]
    public async Task DeleteAsync_removes_the_blob_directory()
    {
        await _store.PutAsync(ContentDigest, Content, None);
        await _store.DeleteAsync(ContentDigest, None);
        Assert.Null(await _store.SizeAsync(ContentDigest, None));
        Assert.False(Directory.Exists(_driver.Resolve(StorageLayout.BlobDirectory(ContentDigest))));
    }
}
