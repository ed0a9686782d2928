using System.Text.Json;

namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// Objects as files under a root directory, in the places distribution's filesystem driver uses
/// (<c>&lt;root&gt;/docker/registry/v2/...</c>), so a data directory written by registry:2 is read as it is.
/// A put is a private temporary file, flushed to disk, then renamed over the key: rename(2) is atomic.
/// </summary>
public sealed class FileSystemBlobStorage : IBlobStorage
{
    private readonly string _root;
    private readonly string _realRoot;

    public FileSystemBlobStorage(string rootDirectory)
    {
        _root = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(_root);
        // The root itself may be a link (a data directory on another disk); what is under it may not leave it.
        _realRoot = ContainedPath.RealPath(_root) ?? throw new IOException($"the storage root {_root} is a loop of symbolic links");
    }

    public string Name => "filesystem";

    public string RootDirectory => _root;

    public Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var path = ResolveForReading(key);
        var file = path is null ? null : new FileInfo(path);
        return Task.FromResult(file is { Exists: true } ? new StorageObject(key, file.Length, file.LastWriteTimeUtc) : null);
    }

    public Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // A key whose path leads outside the root is reported as missing, never read.
        var path = ResolveForReading(key);
        if (path is null) return Task.FromResult<StorageRead?>(null);
        FileStream stream;
        try
        {
            stream = OpenForRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<StorageRead?>(null);
        }
        var size = stream.Length;
        var start = Math.Min(offset, size);
        var count = Math.Min(length ?? long.MaxValue, size - start);
        stream.Position = start;
        Stream content = start == 0 && count == size ? stream : new BoundedReadStream(stream, count);
        return Task.FromResult<StorageRead?>(new StorageRead(content, size, start, count, path));
    }

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var target = Resolve(key);
        var temporary = Resolve(StorageLayout.Scratch(Guid.NewGuid()));
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        try
        {
            long written;
            using (var file = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                written = await FileCopy.CopyAsync(content, file, 0, cancellationToken);
                RandomAccess.FlushToDisk(file);
            }
            MoveIntoPlace(temporary, target);
            return written;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        DeleteFile(Resolve(key));
        return Task.CompletedTask;
    }

    private void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return; // nothing there
        }
        RemoveEmptyParents(Path.GetDirectoryName(path)!);
    }

    public Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                DeleteFile(Resolve(key));
            }
            catch (IOException)
            {
                failed.Add(key);
            }
            catch (UnauthorizedAccessException)
            {
                failed.Add(key);
            }
        }
        return failed.Count == 0 ? Task.CompletedTask : throw new IOException($"could not delete {failed.Count} objects: {string.Join(", ", failed.Take(10))}");
    }

    public Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var page = FileSystemListing.List(_root, prefix, continuationToken, pageSize, cancellationToken);
        var token = page.Count == pageSize ? page[^1].Key : null;
        return Task.FromResult(new StoragePage(page, token));
    }

    public Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);

    public Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken) =>
        Task.FromResult<IStorageUpload>(FileSystemUpload.Start(this, uploadId));

    public Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken)
    {
        FileSystemUploadState? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(state, StorageStateJson.Default.FileSystemUploadState);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("not a filesystem upload state", e);
        }
        if (parsed is null || parsed.Driver != Name) throw new InvalidDataException($"upload state of driver '{parsed?.Driver}', not '{Name}'");
        return Task.FromResult<IStorageUpload>(FileSystemUpload.Resume(this, parsed));
    }

    /// <summary>Every write here is one step (a dictionary entry; a scratch file renamed into place): nothing is left half-started.</summary>
    public Task PurgeInterruptedWritesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ProbeAsync(CancellationToken cancellationToken) => StorageProbe.WriteAndDeleteAsync(this, cancellationToken);

    /// <summary>
    /// Renames a finished file over its key. A concurrent delete may remove the (empty) target directory between
    /// creating it and the rename; then it is created again.
    /// </summary>
    internal static void MoveIntoPlace(string source, string target)
    {
        for (var attempt = 0; ; attempt++)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                File.Move(source, target, overwrite: true);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 3 && File.Exists(source))
            {
            }
        }
    }

    internal static FileStream OpenForRead(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        BufferSize = 0,
    });

    /// <summary>Removes directories left empty by a delete, up to the root (distribution's tree has no empty directories either).</summary>
    internal void RemoveEmptyParents(string directory)
    {
        while (directory.Length > _root.Length && directory.StartsWith(_root, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(directory).Any()) return;
                Directory.Delete(directory);
            }
            catch (IOException)
            {
                return; // not empty after all (a concurrent write), or already gone
            }
            directory = Path.GetDirectoryName(directory)!;
        }
    }

    /// <summary>
    /// <see cref="Resolve"/>, then the real path with links followed, which must stay inside the root: an object whose
    /// path leads elsewhere (a registry:2 directory can hold a blob that is a link to any file) is treated as absent
    /// (null), never read. Reads and stats use the real path, so a link's own size is never taken for its target's.
    /// </summary>
    private string? ResolveForReading(string key)
    {
        var real = ContainedPath.RealPath(Resolve(key));
        return real is not null && (real == _realRoot || real.StartsWith(_realRoot + "/", StringComparison.Ordinal)) ? real : null;
    }

    /// <summary>
    /// Maps a key to a file path. Keys are built from validated names and digests, so this check is a second line
    /// of defence: nothing may resolve outside the root.
    /// </summary>
    public string Resolve(string key)
    {
        if (key.Contains('\0') || key.Contains('\\')) throw new ArgumentException("invalid storage key", nameof(key));
        var full = Path.GetFullPath(Path.Combine(_root, key));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != _root)
            throw new ArgumentException("storage key escapes the root", nameof(key));
        return full;
    }
}
