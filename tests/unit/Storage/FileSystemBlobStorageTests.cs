using Wharf.Registry.Storage;
using Wharf.Registry.Storage.FileSystem;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

/// <summary>What only the filesystem driver does: plain files in distribution's places, and no way out of its root.</summary>
public sealed class FileSystemBlobStorageTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDirectory _dir = new();
    private readonly FileSystemBlobStorage _driver;

    public FileSystemBlobStorageTests() => _driver = new FileSystemBlobStorage(_dir.Combine("root"));

    public void Dispose() => _dir.Dispose();

    private Task WriteAsync(string key, string content) => _driver.PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), None);

    private async Task<string?> ReadAsync(string key)
    {
        await using var read = await _driver.ReadAsync(key, 0, null, None);
        return read is null ? null : await new StreamReader(read.Content).ReadToEndAsync();
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_root_and_reads_name_them_for_sendfile()
    {
        await WriteAsync("docker/registry/v2/blobs/data", "content");
        var file = _dir.Combine("root", "docker", "registry", "v2", "blobs", "data");
        Assert.Equal("content", File.ReadAllText(file));
        await using var read = (await _driver.ReadAsync("docker/registry/v2/blobs/data", 0, null, None))!;
        Assert.Equal(file, read.LocalFile);
    }

    [Fact]
    public async Task A_publish_renames_the_staged_file_and_a_delete_leaves_no_empty_directories()
    {
        var id = Guid.NewGuid();
        await using (var upload = await _driver.StartUploadAsync(id, None))
        {
            await upload.AppendAsync(new MemoryStream("abc"u8.ToArray()), None);
            Assert.True(File.Exists(_driver.Resolve(StorageLayout.UploadData(id))));
            await upload.PublishAsync("docker/registry/v2/blobs/sha256/ab/abc/data", None);
        }
        Assert.False(Directory.Exists(_driver.Resolve(StorageLayout.UploadDirectory(id))));
        await _driver.DeleteAsync("docker/registry/v2/blobs/sha256/ab/abc/data", None);
        Assert.False(Directory.Exists(_driver.Resolve("docker/registry/v2/blobs/sha256/ab")));
    }

    [Theory]
    [InlineData("a/b", "a/b")]
    [InlineData("a/./b", "a/b")]
    [InlineData("a/../b", "b")]
    [InlineData("", "")]
    public void Resolve_maps_paths_inside_the_root(string path, string expected) =>
        Assert.Equal(Path.GetFullPath(Path.Combine(_driver.RootDirectory, expected)), _driver.Resolve(path));

    [Theory]
    [InlineData("..")]
    [InlineData("../")]
    [InlineData("../outside")]
    [InlineData("../root2/x")]
    [InlineData("a/../../outside")]
    [InlineData("a/b/../../../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\..\\..\\x")]
    [InlineData("a\0b")]
    public void Resolve_rejects_paths_that_escape_the_root(string path) =>
        Assert.Throws<ArgumentException>(() => _driver.Resolve(path));

    [Fact]
    public async Task Operations_refuse_escaping_paths()
    {
        File.WriteAllText(_dir.Combine("outside"), "secret");
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.StatAsync("../outside", None));
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.ReadAsync("../outside", 0, null, None));
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.DeleteAsync("../outside", None));
        await Assert.ThrowsAsync<ArgumentException>(() => WriteAsync("../outside", "x"));
        Assert.Equal("secret", File.ReadAllText(_dir.Combine("outside")));
    }

    [Fact]
    public async Task Links_that_lead_out_of_the_root_are_not_followed()
    {
        File.WriteAllText(_dir.Combine("outside"), "secret");
        Directory.CreateDirectory(_dir.Combine("root", "blobs"));
        File.CreateSymbolicLink(_dir.Combine("root", "blobs", "file"), _dir.Combine("outside"));
        File.CreateSymbolicLink(_dir.Combine("root", "blobs", "relative"), "../../outside");
        Directory.CreateSymbolicLink(_dir.Combine("root", "dir"), _dir.Path);
        File.CreateSymbolicLink(_dir.Combine("root", "loop"), _dir.Combine("root", "loop"));
        foreach (var path in new[] { "blobs/file", "blobs/relative", "dir/outside", "loop" })
        {
            Assert.Null(await _driver.StatAsync(path, None));
            Assert.Null(await _driver.ReadAsync(path, 0, null, None));
        }
    }

    [Fact]
    public async Task Links_that_stay_inside_the_root_are_followed()
    {
        await WriteAsync("a/real", "content");
        File.CreateSymbolicLink(_dir.Combine("root", "a", "alias"), "real");
        Directory.CreateSymbolicLink(_dir.Combine("root", "b"), _dir.Combine("root", "a"));
        Assert.Equal(7, (await _driver.StatAsync("b/alias", None))!.Size);
        Assert.Equal("content", await ReadAsync("b/alias"));
    }
}
