using Wharf.Registry.Storage;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

public sealed class FileSystemStorageDriverTests : StorageDriverContract, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileSystemStorageDriver _driver;

    public FileSystemStorageDriverTests() => _driver = new FileSystemStorageDriver(_dir.Combine("root"));

    protected override IStorageDriver Driver => _driver;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Objects_are_plain_files_under_the_root()
    {
        await WriteAsync("docker/registry/v2/blobs/data", "content");
        Assert.Equal("content", File.ReadAllText(_dir.Combine("root", "docker", "registry", "v2", "blobs", "data")));
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
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.StatAsync("../outside", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.OpenReadAsync("../outside", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.DeleteAsync("../outside", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.OpenAppendAsync("../outside", CancellationToken.None));
        await WriteAsync("inside", "x");
        await Assert.ThrowsAsync<ArgumentException>(() => _driver.MoveAsync("inside", "../outside", CancellationToken.None));
        Assert.Equal("secret", File.ReadAllText(_dir.Combine("outside")));
    }
}
