namespace Wharf.Registry.Storage.FileSystem;

/// <summary>The resumable state of a filesystem upload: the staging file is found from the id; only the size counts.</summary>
public sealed record FileSystemUploadState(string Driver, Guid Id, long Size);

/// <summary>
/// An upload staged in one private file (<see cref="StorageLayout.UploadData"/>). Each part is written at the
/// current size and flushed to disk; bytes past the size (left by a failed part) are overwritten by the next part
/// and cut off at publish, so a failed part needs no rollback. Publish flushes and renames the file into place.
/// </summary>
internal sealed class FileSystemUpload : IStorageUpload
{
    private readonly FileSystemBlobStorage _storage;
    private readonly string _path;

    private FileSystemUpload(FileSystemBlobStorage storage, Guid id, long size)
    {
        _storage = storage;
        Id = id;
        Size = size;
        _path = storage.Resolve(StorageLayout.UploadData(id));
    }

    public Guid Id { get; }
    public long Size { get; private set; }
    public string State => System.Text.Json.JsonSerializer.Serialize(new FileSystemUploadState(_storage.Name, Id, Size), StorageStateJson.Default.FileSystemUploadState);

    public static FileSystemUpload Start(FileSystemBlobStorage storage, Guid id)
    {
        var upload = new FileSystemUpload(storage, id, 0);
        Directory.CreateDirectory(Path.GetDirectoryName(upload._path)!);
        using (var file = new FileStream(upload._path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete))
            file.Flush(flushToDisk: true);
        return upload;
    }

    public static FileSystemUpload Resume(FileSystemBlobStorage storage, FileSystemUploadState state)
    {
        var upload = new FileSystemUpload(storage, state.Id, state.Size);
        var file = new FileInfo(upload._path);
        if (!file.Exists || file.Length < state.Size)
            throw new StorageUploadLostException($"the staged data of upload {state.Id} is gone or shorter than its {state.Size} bytes");
        return upload;
    }

    public async Task<long> AppendAsync(Stream content, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });
        file.Position = Size;
        await content.CopyToAsync(file, 1 << 20, cancellationToken);
        var written = file.Position - Size;
        file.Flush(flushToDisk: true);
        Size += written;
        return written;
    }

    public Task<Stream> OpenReadAsync(CancellationToken cancellationToken)
    {
        var file = FileSystemBlobStorage.OpenForRead(_path);
        return Task.FromResult<Stream>(new BoundedReadStream(file, Size));
    }

    public Task PublishAsync(string key, CancellationToken cancellationToken)
    {
        using (var file = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete))
        {
            // Cut off what a failed last part left behind, then make the whole file durable before it gets its name.
            if (file.Length != Size) file.SetLength(Size);
            file.Flush(flushToDisk: true);
        }
        FileSystemBlobStorage.MoveIntoPlace(_path, _storage.Resolve(key));
        DeleteStaging();
        return Task.CompletedTask;
    }

    public Task AbortAsync(CancellationToken cancellationToken)
    {
        DeleteStaging();
        return Task.CompletedTask;
    }

    private void DeleteStaging()
    {
        var directory = _storage.Resolve(StorageLayout.UploadDirectory(Id));
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        _storage.RemoveEmptyParents(Path.GetDirectoryName(directory)!);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
