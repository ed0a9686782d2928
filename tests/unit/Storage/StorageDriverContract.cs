using System.Text;
using Wharf.Registry.Storage;
using Xunit;

namespace Wharf.Tests.Unit.Storage;

/// <summary>What every <see cref="IStorageDriver"/> must do. A driver's test class derives from this and supplies it.</summary>
public abstract class StorageDriverContract
{
    protected abstract IStorageDriver Driver { get; }

    private static readonly CancellationToken None = CancellationToken.None;

    protected async Task WriteAsync(string path, string content)
    {
        await using var writer = await Driver.OpenAppendAsync(path, None);
        await writer.WriteAsync(Encoding.UTF8.GetBytes(content), None);
        await writer.CommitAsync(None);
    }

    protected async Task<string> ReadAsync(string path)
    {
        await using var stream = await Driver.OpenReadAsync(path, None);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(None);
    }

    private async Task<List<StorageEntry>> ListAsync(string directory)
    {
        var entries = new List<StorageEntry>();
        await foreach (var entry in Driver.ListAsync(directory, None)) entries.Add(entry);
        return entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Stat_of_a_missing_path_is_null() => Assert.Null(await Driver.StatAsync("no/such/object", None));

    [Fact]
    public async Task Stat_after_append_reports_the_size()
    {
        await WriteAsync("a/b/object", "hello world");
        var entry = await Driver.StatAsync("a/b/object", None);
        Assert.NotNull(entry);
        Assert.Equal("a/b/object", entry.Path);
        Assert.Equal(11, entry.Size);
        Assert.False(entry.IsDirectory);
        Assert.True((await Driver.StatAsync("a/b", None))?.IsDirectory);
    }

    [Fact]
    public async Task Appending_twice_accumulates()
    {
        await WriteAsync("object", "abc");
        await using (var writer = await Driver.OpenAppendAsync("object", None))
        {
            Assert.Equal(3, writer.Size);
            await writer.WriteAsync("defg"u8.ToArray(), None);
            Assert.Equal(7, writer.Size);
            await writer.CommitAsync(None);
        }
        Assert.Equal("abcdefg", await ReadAsync("object"));
        Assert.Equal(7, (await Driver.StatAsync("object", None))?.Size);
    }

    [Fact]
    public async Task OpenRead_returns_the_content_and_can_seek()
    {
        await WriteAsync("object", "0123456789");
        Assert.Equal("0123456789", await ReadAsync("object"));

        await using var stream = await Driver.OpenReadAsync("object", None);
        Assert.True(stream.CanSeek);
        Assert.Equal(10, stream.Length);
        stream.Seek(4, SeekOrigin.Begin);
        var buffer = new byte[3];
        await stream.ReadExactlyAsync(buffer, None);
        Assert.Equal("456", Encoding.UTF8.GetString(buffer));
    }

    [Fact]
    public async Task Move_replaces_the_destination_and_removes_the_source()
    {
        await WriteAsync("dest/object", "old content");
        await WriteAsync("scratch/object", "new");
        await Driver.MoveAsync("scratch/object", "dest/object", None);
        Assert.Equal("new", await ReadAsync("dest/object"));
        Assert.Equal(3, (await Driver.StatAsync("dest/object", None))?.Size);
        Assert.Null(await Driver.StatAsync("scratch/object", None));
    }

    [Fact]
    public async Task Move_creates_the_destination_directory()
    {
        await WriteAsync("scratch/object", "data");
        await Driver.MoveAsync("scratch/object", "x/y/z/data", None);
        Assert.Equal("data", await ReadAsync("x/y/z/data"));
    }

    [Fact]
    public async Task Delete_removes_a_file()
    {
        await WriteAsync("dir/keep", "1");
        await WriteAsync("dir/gone", "2");
        await Driver.DeleteAsync("dir/gone", None);
        Assert.Null(await Driver.StatAsync("dir/gone", None));
        Assert.Equal("1", await ReadAsync("dir/keep"));
    }

    [Fact]
    public async Task Delete_removes_a_directory_recursively()
    {
        await WriteAsync("tree/a/b/c", "1");
        await WriteAsync("tree/a/d", "2");
        await WriteAsync("tree-sibling", "3");
        await Driver.DeleteAsync("tree/a", None);
        Assert.Null(await Driver.StatAsync("tree/a/b/c", None));
        Assert.Null(await Driver.StatAsync("tree/a", None));
        Assert.Empty(await ListAsync("tree"));
        Assert.Equal("3", await ReadAsync("tree-sibling"));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("missing/deeper/path")]
    public async Task Delete_of_a_missing_path_is_not_an_error(string path)
    {
        await Driver.DeleteAsync(path, None);
        Assert.Null(await Driver.StatAsync(path, None));
    }

    [Fact]
    public async Task List_returns_the_direct_children()
    {
        await WriteAsync("dir/x", "abc");
        await WriteAsync("dir/sub/y", "12345");
        await WriteAsync("other/z", "z");

        var entries = await ListAsync("dir");

        Assert.Equal(["dir/sub", "dir/x"], entries.Select(e => e.Path));
        Assert.Equal([true, false], entries.Select(e => e.IsDirectory));
        Assert.Equal(3, entries[1].Size);
        Assert.Equal(["dir/sub/y"], (await ListAsync("dir/sub")).Select(e => e.Path));
    }

    [Fact]
    public async Task List_of_a_missing_directory_is_empty() => Assert.Empty(await ListAsync("no/such/dir"));

    [Fact]
    public async Task Rollback_discards_what_was_written_after_the_given_length()
    {
        await WriteAsync("upload", "abc");
        await using (var writer = await Driver.OpenAppendAsync("upload", None))
        {
            var start = writer.Size;
            await writer.WriteAsync("partial chunk"u8.ToArray(), None);
            await writer.RollbackAsync(start, None);
            Assert.Equal(3, writer.Size);
            // Writing goes on from the rollback point.
            await writer.WriteAsync("X"u8.ToArray(), None);
            await writer.CommitAsync(None);
        }
        Assert.Equal("abcX", await ReadAsync("upload"));
        Assert.Equal(4, (await Driver.StatAsync("upload", None))?.Size);
    }

    [Fact]
    public async Task Rollback_to_a_larger_length_changes_nothing()
    {
        await using (var writer = await Driver.OpenAppendAsync("upload", None))
        {
            await writer.WriteAsync("abc"u8.ToArray(), None);
            await writer.RollbackAsync(10, None);
            Assert.Equal(3, writer.Size);
        }
        Assert.Equal("abc", await ReadAsync("upload"));
    }
}
