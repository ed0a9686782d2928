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
            Assert.Null(await _driver.StatAsync(path, CancellationToken.None));
            await Assert.ThrowsAsync<FileNotFoundException>(() => _driver.OpenReadAsync(path, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Links_that_stay_inside_the_root_are_followed()
    {
        await WriteAsync("a/real", "content");
        File.CreateSymbolicLink(_dir.Combine("root", "a", "alias"), "real");
        Directory.CreateSymbolicLink(_dir.Combine("root", "b"), _dir.Combine("root", "a"));
        Assert.Equal(7, (await _driver.StatAsync("b/alias", CancellationToken.None))!.Size);
        await using var stream = await _driver.OpenReadAsync("b/alias", CancellationToken.None);
        Assert.Equal("content", await new StreamReader(stream).ReadToEndAsync());
    }
}
