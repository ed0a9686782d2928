using System.Globalization;
using System.Text.Json;

namespace Wharf.Registry.Storage.Objects;

/// <summary>The resumable state of an upload staged as part objects: the sizes of its parts, in order.</summary>
public sealed record PartsUploadState(string Driver, Guid Id, List<long> Parts);

/// <summary>
/// An upload on an object store, staged as one object per part under the upload's directory
/// (<c>.../_wharf/uploads/&lt;id&gt;/parts/&lt;offset&gt;</c>), each written with <see cref="IBlobStorage.PutAsync"/>.
/// Publishing streams the parts, in order, into one <see cref="IBlobStorage.PutAsync"/> of the final key (an S3
/// multipart upload, Azure staged blocks), which makes the object appear whole or not at all.
/// <para>
/// Why parts as objects rather than the store's own multipart upload: a blob's key is its digest, known only when
/// the client finishes, and an S3 multipart upload or Azure block list is bound to its key from the start. Staging
/// under the final key is impossible; staging under another key needs a server-side copy at the end, which the
/// local S3 server cannot do for keys with '/' (and which is limited to 5 GiB per request on S3). Part objects are
/// readable (a lost content hash is rebuilt from them), may have any size (S3 parts must be 5 MiB but the last),
/// and a part key named by its offset is simply overwritten when a failed chunk is sent again. The price is that
/// publishing reads the staged bytes back once (measured in bench/).
/// </para>
/// </summary>
internal sealed class PartsUpload : IStorageUpload
{
    private readonly IBlobStorage _storage;
    private readonly List<long> _parts;

    private PartsUpload(IBlobStorage storage, Guid id, List<long> parts)
    {
        _storage = storage;
        Id = id;
        _parts = parts;
        Size = parts.Sum();
    }

    public Guid Id { get; }
    public long Size { get; private set; }
    /// <summary>Each part is a stored object, durable once its put returned.</summary>
    public bool StagedBytesIntact => true;

    public string State => JsonSerializer.Serialize(new PartsUploadState(_storage.Name, Id, _parts), StorageStateJson.Default.PartsUploadState);

    public static IStorageUpload Start(IBlobStorage storage, Guid id) => new PartsUpload(storage, id, []);

    public static async Task<IStorageUpload> ResumeAsync(IBlobStorage storage, string state, CancellationToken cancellationToken)
    {
        PartsUploadState? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(state, StorageStateJson.Default.PartsUploadState);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not an upload state of the {storage.Name} driver", e);
        }
        if (parsed?.Parts is null || parsed.Driver != storage.Name)
            throw new InvalidDataException($"upload state of driver '{parsed?.Driver}', not '{storage.Name}'");
        var upload = new PartsUpload(storage, parsed.Id, parsed.Parts);
        if (parsed.Parts.Count > 0)
        {
            // The last part is the one most likely to be missing (purged with the rest, or never stored).
            var last = parsed.Parts.Count - 1;
            var offset = upload.Size - parsed.Parts[last];
            var stat = await storage.StatAsync(PartKey(parsed.Id, offset), cancellationToken);
            if (stat?.Size != parsed.Parts[last])
                throw new StorageUploadLostException($"the staged parts of upload {parsed.Id} are gone");
        }
        return upload;
    }

    public async Task<long> AppendAsync(Stream content, CancellationToken cancellationToken)
    {
        var written = await _storage.PutAsync(PartKey(Id, Size), content, cancellationToken);
        if (written == 0)
        {
            await _storage.DeleteAsync(PartKey(Id, Size), CancellationToken.None);
            return 0;
        }
        _parts.Add(written);
        Size += written;
        return written;
    }

    public Task<Stream> OpenReadAsync(CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new ConcatenatedPartsStream(_storage, PartKeys()));

    public async Task PublishAsync(string key, CancellationToken cancellationToken)
    {
        await using (var content = new ConcatenatedPartsStream(_storage, PartKeys()))
        {
            var stored = await _storage.PutAsync(key, content, cancellationToken);
            if (stored != Size) throw new IOException($"published {stored} bytes of upload {Id}, expected {Size}");
        }
        await AbortAsync(CancellationToken.None);
    }

    public Task AbortAsync(CancellationToken cancellationToken) =>
        _storage.DeletePrefixAsync(StorageLayout.UploadDirectory(Id) + "/", cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private List<(string Key, long Size)> PartKeys()
    {
        var keys = new List<(string, long)>(_parts.Count);
        long offset = 0;
        foreach (var size in _parts)
        {
            keys.Add((PartKey(Id, offset), size));
            offset += size;
        }
        return keys;
    }

    /// <summary>Zero-padded offsets, so that parts list in the order of their bytes.</summary>
    internal static string PartKey(Guid id, long offset) =>
        $"{StorageLayout.UploadDirectory(id)}/parts/{offset.ToString("D20", CultureInfo.InvariantCulture)}";
}
