using System.Runtime.CompilerServices;

namespace Wharf.Registry.Storage;

/// <summary>
/// Stores objects as files under a root directory, in the same places distribution's filesystem driver uses, so a
/// data directory written by registry:2 is read as it is.
/// </summary>
public sealed class FileSystemStorageDriver : IStorageDriver
{
    private readonly string _root;
    private readonly string _realRoot;

    public FileSystemStorageDriver(string rootDirectory)
    {
        _root = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(_root);
        // The root itself may be a link (a data directory on another disk); what is under it may not leave it.
        _realRoot = ContainedPath.RealPath(_root) ?? throw new IOException($"the storage root {_root} is a loop of symbolic links");
    }

    public string Name => "filesystem";

    public string RootDirectory => _root;

    public Task<StorageEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var full = ResolveForReading(path);
        if (full is null) return Task.FromResult<StorageEntry?>(null);
        var file = new FileInfo(full);
        if (file.Exists) return Task.FromResult<StorageEntry?>(new StorageEntry(path, file.Length, file.LastWriteTimeUtc, false));
        var dir = new DirectoryInfo(full);
        if (dir.Exists) return Task.FromResult<StorageEntry?>(new StorageEntry(path, 0, dir.LastWriteTimeUtc, true));
        return Task.FromResult<StorageEntry?>(null);
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        // A path that leads outside the root is reported as missing, as StatAsync does.
        var full = ResolveForReading(path) ?? throw new FileNotFoundException("no such object in the store", path);
        var stream = new FileStream(full, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        return Task.FromResult<Stream>(stream);
    }

    public Task<StorageWriter> OpenAppendAsync(string path, CancellationToken cancellationToken)
    {
        var full = Resolve(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var stream = new FileStream(full, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });
        return Task.FromResult<StorageWriter>(new FileWriter(stream));
    }

    public Task MoveAsync(string source, string destination, CancellationToken cancellationToken)
    {
        var target = Resolve(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // rename(2) replaces atomically on POSIX file systems.
        File.Move(Resolve(source), target, overwrite: true);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var full = Resolve(path);
        if (File.Exists(full)) File.Delete(full);
        else if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StorageEntry> ListAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var full = Resolve(directory);
        if (!Directory.Exists(full)) yield break;
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = directory.Length == 0 ? info.Name : $"{directory.TrimEnd('/')}/{info.Name}";
            yield return info is FileInfo f
                ? new StorageEntry(relative, f.Length, f.LastWriteTimeUtc, false)
                : new StorageEntry(relative, 0, info.LastWriteTimeUtc, true);
        }
        await Task.CompletedTask;
    }

    /// <summary>
    /// Maps a layout path to a file path. Layout paths are built from validated names and digests, so this check is
    /// a second line of defence: nothing may resolve outside the root.
    /// </summary>
    public string Resolve(string path)
    {
        if (path.Contains('\0') || path.Contains('\\')) throw new ArgumentException("invalid storage path", nameof(path));
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != _root)
            throw new ArgumentException("storage path escapes the root", nameof(path));
        return full;
    }

    /// <summary>
    /// <see cref="Resolve"/>, then the real path with links followed, which must stay inside the root: an object whose
    /// path leads elsewhere is treated as absent (null), never read. Reads and stats use the real path, so a link's
    /// own size is never taken for its target's.
    /// </summary>
    private string? ResolveForReading(string path)
    {
        var real = ContainedPath.RealPath(Resolve(path));
        return real is not null && (real == _realRoot || real.StartsWith(_realRoot + "/", StringComparison.Ordinal)) ? real : null;
    }

    private sealed class FileWriter(FileStream stream) : StorageWriter
    {
        public override long Size => stream.Length;
        public override void Flush() => stream.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => stream.FlushAsync(cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => stream.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            stream.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            stream.WriteAsync(buffer, offset, count, cancellationToken);

        public override Task CommitAsync(CancellationToken cancellationToken)
        {
            stream.Flush(flushToDisk: true);
            return Task.CompletedTask;
        }

        public override Task RollbackAsync(long length, CancellationToken cancellationToken)
        {
            if (stream.Length > length)
            {
                stream.SetLength(length);
                stream.Flush(flushToDisk: true);
            }
            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) stream.Dispose();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
