using System.Globalization;

namespace Wharf.Registry.Storage;

/// <summary>
/// <see cref="IBlobStorage"/> over an <see cref="IStorageDriver"/> (today's filesystem driver), so the engine can use
/// the object-store-shaped interface before every driver implements it natively. Uploads stage in one file per
/// session whose state is the acknowledged length: an append writes from there (a failed append's tail is simply
/// overwritten by the next one) and publishing cuts the file to that length, flushes it and renames it into place.
/// </summary>
public sealed class StorageDriverBlobStorage(IStorageDriver driver) : IBlobStorage
{
    private const string StatePrefix = "file:";

    public string Name => driver.Name;

    public async Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken) =>
        await driver.StatAsync(key, cancellationToken) is { IsDirectory: false } entry
            ? new StorageObject(key, entry.Size, new DateTimeOffset(entry.ModifiedUtc, TimeSpan.Zero))
            : null;

    public async Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        if (await StatAsync(key, cancellationToken) is not { } found) return null;
        var stream = await driver.OpenReadAsync(key, cancellationToken);
        var start = Math.Min(offset, found.Size);
        var count = Math.Min(length ?? long.MaxValue, found.Size - start);
        stream.Seek(start, SeekOrigin.Begin);
        return new StorageRead(new BoundedReadStream(stream, count), found.Size, start, count);
    }

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var scratch = StorageLayout.Scratch(Guid.NewGuid());
        try
        {
            long written;
            await using (var writer = await driver.OpenAppendAsync(scratch, cancellationToken))
            {
                await content.CopyToAsync(writer, cancellationToken);
                written = writer.Size;
                await writer.CommitAsync(cancellationToken);
            }
            await driver.MoveAsync(scratch, key, cancellationToken);
            return written;
        }
        finally
        {
            await driver.DeleteAsync(scratch, CancellationToken.None);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => driver.DeleteAsync(key, cancellationToken);

    public async Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys) await driver.DeleteAsync(key, cancellationToken);
    }

    public async Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        // The driver lists directories; walk down from the deepest directory the prefix names, in ordinal order.
        var slash = prefix.LastIndexOf('/');
        var root = slash < 0 ? "" : prefix[..slash];
        var objects = new List<StorageObject>();
        await foreach (var entry in WalkAsync(root, cancellationToken))
        {
            if (!entry.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (continuationToken is not null && string.CompareOrdinal(entry.Key, continuationToken) <= 0) continue;
            objects.Add(entry);
            if (objects.Count == pageSize) return new StoragePage(objects, entry.Key);
        }
        return new StoragePage(objects, null);
    }

    private async IAsyncEnumerable<StorageObject> WalkAsync(string directory, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var children = new List<StorageEntry>();
        await foreach (var entry in driver.ListAsync(directory, cancellationToken)) children.Add(entry);
        foreach (var entry in children.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            if (!entry.IsDirectory)
            {
                yield return new StorageObject(entry.Path, entry.Size, new DateTimeOffset(entry.ModifiedUtc, TimeSpan.Zero));
                continue;
            }
            await foreach (var inner in WalkAsync(entry.Path, cancellationToken)) yield return inner;
        }
    }

    public Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);

    public async Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken)
    {
        await using (var writer = await driver.OpenAppendAsync(StorageLayout.UploadData(uploadId), cancellationToken))
            await writer.CommitAsync(cancellationToken);
        return new FileUpload(driver, uploadId, 0);
    }

    public async Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken)
    {
        var parts = state.StartsWith(StatePrefix, StringComparison.Ordinal) ? state[StatePrefix.Length..].Split(':') : [];
        if (parts.Length != 2 || !Guid.TryParseExact(parts[0], "D", out var id) ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            throw new InvalidDataException($"'{state}' is not an upload state of the {driver.Name} store");
        var staged = await driver.StatAsync(StorageLayout.UploadData(id), cancellationToken);
        if (staged is null || staged.Size < size) throw new StorageUploadLostException($"the staged bytes of upload {id} are gone");
        return new FileUpload(driver, id, size);
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await driver.StatAsync(StorageLayout.UploadsRoot, cancellationToken);
    }

    private static string FileOf(IStorageDriver driver, string key) => driver is FileSystemStorageDriver files
        ? files.Resolve(key)
        : throw new NotSupportedException($"uploads on the {driver.Name} store need its own driver");

    /// <summary>Writes at the end of the staging file; <see cref="CommitAsync"/> flushes it to disk.</summary>
    private sealed class FileWriter(FileStream stream) : StorageWriter
    {
        public override long Size => stream.Length;
        public override void Flush() => stream.Flush();
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

        public override Task RollbackAsync(long length, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) stream.Dispose();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private sealed class FileUpload(IStorageDriver driver, Guid id, long size) : IStorageUpload
    {
        public Guid Id => id;
        public long Size { get; private set; } = size;
        public string State => $"{StatePrefix}{id:D}:{Size.ToString(CultureInfo.InvariantCulture)}";

        private string DataPath => StorageLayout.UploadData(id);

        public async Task<long> AppendAsync(Stream content, CancellationToken cancellationToken)
        {
            await using var writer = await OpenAtSizeAsync(cancellationToken);
            await content.CopyToAsync(writer, cancellationToken);
            var appended = writer.Size - Size;
            await writer.CommitAsync(cancellationToken);
            Size += appended;
            return appended;
        }

        public async Task<Stream> OpenReadAsync(CancellationToken cancellationToken)
        {
            var stream = await driver.OpenReadAsync(DataPath, cancellationToken);
            return new BoundedReadStream(stream, Size);
        }

        public async Task PublishAsync(string key, CancellationToken cancellationToken)
        {
            await using (var writer = await OpenAtSizeAsync(cancellationToken))
                await writer.CommitAsync(cancellationToken);
            await driver.MoveAsync(DataPath, key, cancellationToken);
            await driver.DeleteAsync(StorageLayout.UploadDirectory(id), CancellationToken.None);
        }

        public Task AbortAsync(CancellationToken cancellationToken) => driver.DeleteAsync(StorageLayout.UploadDirectory(id), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        /// <summary>
        /// The staging file positioned at the acknowledged length: a failed append's unacknowledged tail is cut off
        /// here, before the next part is written (an append-only driver writer cannot do that, so this works on the
        /// file itself).
        /// </summary>
        private Task<StorageWriter> OpenAtSizeAsync(CancellationToken cancellationToken)
        {
            var file = FileOf(driver, DataPath);
            if (!File.Exists(file) || new FileInfo(file).Length < Size)
                throw new StorageUploadLostException($"the staged bytes of upload {id} are gone");
            var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Write,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
            stream.SetLength(Size);
            stream.Seek(Size, SeekOrigin.Begin);
            return Task.FromResult<StorageWriter>(new FileWriter(stream));
        }
    }
}
