using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Uploads;

/// <summary>Where an upload session stands: its id and how many bytes it holds.</summary>
public sealed record UploadStatus(Guid Id, long Size);

/// <summary>
/// Blob upload sessions: start, append chunks (streamed, hashed on the way), report status, finish under a digest,
/// cancel. A session's bytes and its database row survive a restart, so a client can resume.
/// </summary>
public sealed class UploadService(
    RegistryDbContext db,
    BlobLedger ledger,
    BlobStore blobs,
    UploadHashStates hashStates,
    IOptions<RegistryOptions> options,
    IRegistryEventSink events,
    RegistryMetrics metrics)
{
    private IStorageDriver Driver => blobs.Driver;

    public async Task<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        var open = await db.UploadSessions.CountAsync(s => s.RepositoryId == repositoryId, cancellationToken);
        if (open >= options.Value.MaxUploadSessionsPerRepository)
            throw new RegistryException(RegistryError.TooManyRequests, "too many open upload sessions for this repository; finish or cancel some first");

        var id = Guid.NewGuid();
        await using (var writer = await Driver.OpenAppendAsync(StorageLayout.UploadData(id), cancellationToken))
        {
            await writer.CommitAsync(cancellationToken);
        }
        var now = DateTime.UtcNow;
        db.UploadSessions.Add(new UploadSessionRecord { Id = id, RepositoryId = repositoryId, StartedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        return new UploadStatus(id, 0);
    }

    public async Task<UploadStatus> GetStatusAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        await RequireSessionAsync(repository, id, cancellationToken);
        return new UploadStatus(id, await CurrentSizeAsync(id, cancellationToken));
    }

    /// <summary>Appends a chunk. With a range, it must start exactly where the session ends (else 416).</summary>
    public async Task<UploadStatus> AppendAsync(string repository, Guid id, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(repository, id, cancellationToken);
        var state = hashStates.Get(id);
        await state.Lock.WaitAsync(cancellationToken);
        try
        {
            var size = await AppendLockedAsync(id, state, body, range, contentLength, cancellationToken);
            session.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(cancellationToken);
            return new UploadStatus(id, size);
        }
        finally
        {
            state.Lock.Release();
        }
    }

    /// <summary>Finishes a session: appends the final chunk if any, verifies the digest and commits the blob.</summary>
    public async Task<long> CompleteAsync(string repository, Guid id, Digest digest, Stream? body, ContentRange? range, long? contentLength,
        RegistryCaller caller, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(repository, id, cancellationToken);
        var state = hashStates.Get(id);
        await state.Lock.WaitAsync(cancellationToken);
        try
        {
            var size = body is null ? await CurrentSizeAsync(id, cancellationToken)
                : await AppendLockedAsync(id, state, body, range, contentLength, cancellationToken);
            var actual = await SessionDigestAsync(id, state, size, digest.Algorithm, cancellationToken);
            if (actual != digest)
                throw new RegistryException(RegistryError.DigestInvalid, $"uploaded content has digest {actual}, not {digest}");

            // Recorded and linked first (the ledger waits out a sweep deleting this digest), so garbage collection keeps
            // the blob from here on; then published. No storage I/O inside the ledger's lock (docs/gc.md).
            await ledger.RecordAndLinkAsync(session.RepositoryId, digest.ToString(), size, cancellationToken);
            if (await blobs.SizeAsync(digest, cancellationToken) is null)
                await blobs.CommitAsync(StorageLayout.UploadData(id), digest, cancellationToken);
            db.UploadSessions.Remove(session);
            await db.SaveChangesAsync(cancellationToken);
            await Driver.DeleteAsync(StorageLayout.UploadDirectory(id), CancellationToken.None);
            hashStates.Remove(id);
            events.Publish(new RegistryEvent(RegistryEventKind.BlobUploaded, repository, caller) { Digest = digest.ToString(), Size = size });
            return size;
        }
        finally
        {
            state.Lock.Release();
        }
    }

    public async Task CancelAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(repository, id, cancellationToken);
        db.UploadSessions.Remove(session);
        await db.SaveChangesAsync(cancellationToken);
        await Driver.DeleteAsync(StorageLayout.UploadDirectory(id), CancellationToken.None);
        hashStates.Remove(id);
    }

    /// <summary>A whole blob in one request (<c>POST ?digest=</c>, or a PUT after an empty POST).</summary>
    public async Task<long> PutMonolithicAsync(string repository, Digest digest, Stream body, long? contentLength, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        var size = await blobs.WriteAsync(body, digest, contentLength, cancellationToken);
        metrics.BytesReceived(size);
        // Published before it is recorded: should a sweep have been deleting this digest meanwhile, the ledger waited
        // for it, and the object may be gone; refuse rather than acknowledge a blob that is not there (docs/gc.md).
        if (await ledger.RecordAndLinkAsync(repositoryId, digest.ToString(), size, cancellationToken)
            && await blobs.SizeAsync(digest, cancellationToken) is null)
            throw new RegistryException(RegistryError.BlobUploadInvalid, "the blob was removed while it was being stored; push it again");
        events.Publish(new RegistryEvent(RegistryEventKind.BlobUploaded, repository, caller) { Digest = digest.ToString(), Size = size });
        return size;
    }

    private async Task<long> AppendLockedAsync(Guid id, UploadHashState state, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var path = StorageLayout.UploadData(id);
        await using var writer = await Driver.OpenAppendAsync(path, cancellationToken);
        var start = writer.Size;
        if (range is { } r)
        {
            if (r.Start != start)
                throw RangeError(start, $"chunk starts at {r.Start} but the upload holds {start} bytes");
            if (contentLength is { } declared && declared != r.Length)
                throw RangeError(start, $"Content-Range covers {r.Length} bytes but Content-Length is {declared}");
        }
        var expected = range?.Length ?? contentLength;

        if (state.Hash is null || state.Offset != start) state.Set(await HashExistingAsync(path, cancellationToken), start);
        var hash = state.Hash!;
        long written;
        try
        {
            written = await HashingCopy.CopyAsync(body, writer, hash, cancellationToken, expected ?? long.MaxValue);
            if (expected is { } length && written != length)
                throw new RegistryException(RegistryError.SizeInvalid, $"received {written} bytes, expected {length}");
            await writer.CommitAsync(cancellationToken);
        }
        catch
        {
            // A chunk is all or nothing: drop its bytes, and the hash that saw them (rebuilt from the file next time).
            await writer.RollbackAsync(start, CancellationToken.None);
            state.Reset();
            throw;
        }
        state.Set(hash, start + written);
        metrics.BytesReceived(written);
        return start + written;
    }

    private async Task<IncrementalHash> HashExistingAsync(string path, CancellationToken cancellationToken)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = await Driver.OpenReadAsync(path, cancellationToken);
        await HashingCopy.CopyAsync(stream, Stream.Null, hash, cancellationToken);
        return hash;
    }

    private async Task<Digest> SessionDigestAsync(Guid id, UploadHashState state, long size, string algorithm, CancellationToken cancellationToken)
    {
        if (algorithm == "sha256" && state.Hash is { } hash && state.Offset == size)
            return Digest.FromHash("sha256", hash.GetCurrentHash());
        using var fresh = IncrementalHash.CreateHash(algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        await using var stream = await Driver.OpenReadAsync(StorageLayout.UploadData(id), cancellationToken);
        await HashingCopy.CopyAsync(stream, Stream.Null, fresh, cancellationToken);
        return Digest.FromHash(algorithm, fresh.GetHashAndReset());
    }

    private async Task<long> CurrentSizeAsync(Guid id, CancellationToken cancellationToken) =>
        (await Driver.StatAsync(StorageLayout.UploadData(id), cancellationToken))?.Size ?? 0;

    private async Task<UploadSessionRecord> RequireSessionAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        var session = await (from s in db.UploadSessions
                             join r in db.Repositories on s.RepositoryId equals r.Id
                             where s.Id == id && r.Name == repository
                             select s).FirstOrDefaultAsync(cancellationToken);
        return session ?? throw new RegistryException(RegistryError.BlobUploadUnknown);
    }

    private static RegistryException RangeError(long size, string message)
    {
        var error = new RegistryException(RegistryError.RangeInvalid, message);
        error.Headers["Range"] = ContentRange.UploadRangeHeader(size);
        return error;
    }
}
