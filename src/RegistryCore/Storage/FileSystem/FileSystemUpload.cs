namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// The resumable state of a filesystem upload: the staging file is found from the id; only the size counts.
/// <paramref name="Flushed"/> bytes of it are known to be on disk (null: all of them, the state of an earlier release
/// that flushed every part); the rest were written by the boot <paramref name="Boot"/> of the machine and live in
/// its page cache until publishing flushes them.
/// </summary>
public sealed record FileSystemUploadState(string Driver, Guid Id, long Size, long? Flushed = null, string? Boot = null);

/// <summary>
/// An upload staged in one private file (<see cref="StorageLayout.UploadData"/>). Each part is written at the
/// current size; bytes past the size (left by a failed part) are cut off when the part fails where possible, else
/// overwritten by the next part and cut off at publish, so a failed part needs no rollback. Parts are not flushed
/// one by one: publishing flushes the whole file once, then renames it into place (one fsync per blob). Should the
/// machine crash in between, the state shows it (<see cref="StagedBytesIntact"/>), and the engine, hashing the
/// staged bytes again, refuses what they have become. Where the boot cannot be told apart, every part is flushed.
/// </summary>
internal sealed class FileSystemUpload : IStorageUpload
{
    private readonly FileSystemBlobStorage _storage;
    private readonly string _path;
    private long _flushed;
    private string? _boot;

    private FileSystemUpload(FileSystemBlobStorage storage, Guid id, long size, long flushed, string? boot)
    {
        _storage = storage;
        Id = id;
        Size = size;
        _flushed = flushed;
        _boot = boot;
        _path = storage.Resolve(StorageLayout.UploadData(id));
    }

    public Guid Id { get; }
    public long Size { get; private set; }

    public string State => System.Text.Json.JsonSerializer.Serialize(new FileSystemUploadState(_storage.Name, Id, Size, _flushed, _boot), StorageStateJson.Default.FileSystemUploadState);

    /// <summary>Everything is on disk, or what is not was written in this boot's page cache (which any process here reads).</summary>
    public bool StagedBytesIntact => _flushed == Size || (_boot is not null && _boot == MachineBoot.Id);

    public static FileSystemUpload Start(FileSystemBlobStorage storage, Guid id)
    {
        var upload = new FileSystemUpload(storage, id, 0, 0, null);
        Directory.CreateDirectory(Path.GetDirectoryName(upload._path)!);
        // Not flushed: an empty file lost in a crash makes the session one that cannot resume, nothing worse.
        new FileStream(upload._path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete).Dispose();
        return upload;
    }

    public static FileSystemUpload Resume(FileSystemBlobStorage storage, FileSystemUploadState state)
    {
        var upload = new FileSystemUpload(storage, state.Id, state.Size, state.Flushed ?? state.Size, state.Boot);
        var file = new FileInfo(upload._path);
        if (!file.Exists || file.Length < state.Size)
            throw new StorageUploadLostException($"the staged data of upload {state.Id} is gone or shorter than its {state.Size} bytes");
        return upload;
    }

    public async Task<long> AppendAsync(Stream content, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        long written;
        try
        {
            written = await FileCopy.CopyAsync(content, file, Size, cancellationToken);
            if (MachineBoot.Id is null) RandomAccess.FlushToDisk(file);
        }
        catch
        {
            // Nothing past Size counts, but a failed part (a full disk, a client gone) should not keep holding its
            // space until the next part or publish: give it back now, best effort.
            try { RandomAccess.SetLength(file, Size); } catch (IOException) { }
            throw;
        }
        if (MachineBoot.Id is null) _flushed = Size + written;
        // Bytes written by another boot and never flushed stay suspect: only a part on top of a flushed file is this boot's.
        else if (written > 0 && _flushed == Size) _boot = MachineBoot.Id;
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
        using (var file = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete))
        {
            // Cut off what a failed last part left behind, then make the whole file durable before it gets its name:
            // the one flush of the upload.
            if (RandomAccess.GetLength(file) != Size) RandomAccess.SetLength(file, Size);
            RandomAccess.FlushToDisk(file);
        }
        _flushed = Size;
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
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone, or emptied under the recursive delete by a request of the same session finishing at the
            // same moment (a cancel racing a PUT): either way nothing of it is left to remove.
        }
        _storage.RemoveEmptyParents(Path.GetDirectoryName(directory)!);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
