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
    BlobStore blobs,
    UploadHashStates hashStates,
    IOptions<RegistryOptions> options,
    IRegistryEventSink events,
    RegistryMetrics metrics)
{
    private IBlobStorage Storage => blobs.Storage;

    public async Task<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        var open = await db.UploadSessions.CountAsync(s => s.RepositoryId == repositoryId, cancellationToken);
        if (open >= options.Value.MaxUploadSessionsPerRepository)
            throw new RegistryException(RegistryError.TooManyRequests, "too many open upload sessions for this repository; finish or cancel some first");

        var id = Guid.NewGuid();
        await using var upload = await Storage.StartUploadAsync(id, cancellationToken);
        var now = DateTime.UtcNow;
        db.UploadSessions.Add(new UploadSessionRecord { Id = id, RepositoryId = repositoryId, StartedAt = now, UpdatedAt = now, StorageState = upload.State });
        await db.SaveChangesAsync(cancellationToken);
        return new UploadStatus(id, 0);
    }

    public async Task<UploadStatus> GetStatusAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(repository, id, cancellationToken);
        await using var upload = await ResumeAsync(session, cancellationToken);
        return new UploadStatus(id, upload.Size);
    }

    /// <summary>Appends a chunk. With a range, it must start exactly where the session ends (else 416).</summary>
    public async Task<UploadStatus> AppendAsync(string repository, Guid id, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(repository, id, cancellationToken);
        var state = hashStates.Get(id);
        await state.Lock.WaitAsync(cancellationToken);
        try
        {
            await using var upload = await ResumeAsync(session, cancellationToken);
            var size = await AppendLockedAsync(upload, state, body, range, contentLength, cancellationToken);
            session.UpdatedAt = DateTime.UtcNow;
            session.StorageState = upload.State;
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
            await using var upload = await ResumeAsync(session, cancellationToken);
            if (body is not null)
            {
                await AppendLockedAsync(upload, state, body, range, contentLength, cancellationToken);
                session.StorageState = upload.State;
            }
            var size = upload.Size;
            var actual = await SessionDigestAsync(upload, state, digest.Algorithm, cancellationToken);
            if (actual != digest)
                throw new RegistryException(RegistryError.DigestInvalid, $"uploaded content has digest {actual}, not {digest}");

            // Publishing (an fsync and rename, or a multipart upload on an object store) happens outside the write
            // transaction; under it the blob is checked again, so a garbage collection sweep (which deletes under the
            // same lock) cannot take it between the check and the rows (docs/gc.md). A blob that was already stored
            // is not written again; should a sweep take it meanwhile, the upload is published under the lock after all.
            var published = false;
            if (await blobs.SizeAsync(digest, cancellationToken) is null)
            {
                await blobs.CommitAsync(upload, digest, cancellationToken);
                published = true;
            }
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                if (await blobs.SizeAsync(digest, cancellationToken) is null)
                {
                    if (published)
                        throw new RegistryException(RegistryError.BlobUploadInvalid, "the blob was removed while it was being stored; push it again");
                    await blobs.CommitAsync(upload, digest, cancellationToken);
                    published = true;
                }
                await db.RecordBlobAsync(digest.ToString(), size, cancellationToken);
                await db.LinkBlobAsync(session.RepositoryId, digest.ToString(), cancellationToken);
                db.UploadSessions.Remove(session);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            if (!published) await upload.AbortAsync(CancellationToken.None);
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
        await DiscardAsync(Storage, session.Id, session.StorageState, CancellationToken.None);
        hashStates.Remove(id);
    }

    /// <summary>A whole blob in one request (<c>POST ?digest=</c>, or a PUT after an empty POST).</summary>
    public async Task<long> PutMonolithicAsync(string repository, Digest digest, Stream body, long? contentLength, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        var size = await blobs.WriteAsync(body, digest, contentLength, cancellationToken);
        metrics.BytesReceived(size);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // A file written just now is inside garbage collection's grace period. Checked again under the write lock,
            // where a sweep deletes (docs/gc.md): should one have taken it anyway, refuse rather than record a blob
            // that is not there.
            if (await blobs.SizeAsync(digest, cancellationToken) is null)
                throw new RegistryException(RegistryError.BlobUploadInvalid, "the blob was removed while it was being stored; push it again");
            await db.RecordBlobAsync(digest.ToString(), size, cancellationToken);
            await db.LinkBlobAsync(repositoryId, digest.ToString(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        events.Publish(new RegistryEvent(RegistryEventKind.BlobUploaded, repository, caller) { Digest = digest.ToString(), Size = size });
        return size;
    }

    private async Task<long> AppendLockedAsync(IStorageUpload upload, UploadHashState state, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var start = upload.Size;
        if (range is { } r)
        {
            if (r.Start != start)
                throw RangeError(start, $"chunk starts at {r.Start} but the upload holds {start} bytes");
            if (contentLength is { } declared && declared != r.Length)
                throw RangeError(start, $"Content-Range covers {r.Length} bytes but Content-Length is {declared}");
        }
        var expected = range?.Length ?? contentLength;

        if (state.Hash is null || state.Offset != start) state.Set(await HashExistingAsync(upload, HashAlgorithmName.SHA256, cancellationToken), start);
        var hash = state.Hash!;
        long written;
        try
        {
            var hashing = new HashingReadStream(body, hash, expected);
            written = await upload.AppendAsync(hashing, cancellationToken);
        }
        catch
        {
            // A chunk is all or nothing: the upload's size and state are as before (the driver keeps nothing of a
            // failed part); only the hash saw the bytes, so it is rebuilt from the upload next time.
            state.Reset();
            throw;
        }
        state.Set(hash, start + written);
        metrics.BytesReceived(written);
        return start + written;
    }

    private static async Task<IncrementalHash> HashExistingAsync(IStorageUpload upload, HashAlgorithmName algorithm, CancellationToken cancellationToken)
    {
        var hash = IncrementalHash.CreateHash(algorithm);
        await using var stream = await upload.OpenReadAsync(cancellationToken);
        await HashingCopy.CopyAsync(stream, Stream.Null, hash, cancellationToken);
        return hash;
    }

    private static async Task<Digest> SessionDigestAsync(IStorageUpload upload, UploadHashState state, string algorithm, CancellationToken cancellationToken)
    {
        if (algorithm == "sha256" && state.Hash is { } hash && state.Offset == upload.Size)
            return Digest.FromHash("sha256", hash.GetCurrentHash());
        using var fresh = await HashExistingAsync(upload, algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256, cancellationToken);
        return Digest.FromHash(algorithm, fresh.GetHashAndReset());
    }

    /// <summary>The session's upload in the store; BLOB_UPLOAD_UNKNOWN when its staged bytes are gone.</summary>
    private async Task<IStorageUpload> ResumeAsync(UploadSessionRecord session, CancellationToken cancellationToken)
    {
        if (session.StorageState is null)
            throw new RegistryException(RegistryError.BlobUploadUnknown, "this upload was started by an older Wharf; start it again");
        try
        {
            return await Storage.ResumeUploadAsync(session.StorageState, cancellationToken);
        }
        catch (Exception e) when (e is StorageUploadLostException or InvalidDataException)
        {
            throw new RegistryException(RegistryError.BlobUploadUnknown, $"the data of this upload is gone ({e.Message}); start it again");
        }
    }

    /// <summary>Removes what an upload staged, whether or not its state can still be resumed.</summary>
    internal static async Task DiscardAsync(IBlobStorage storage, Guid id, string? state, CancellationToken cancellationToken)
    {
        if (state is not null)
        {
            try
            {
                await using var upload = await storage.ResumeUploadAsync(state, cancellationToken);
                await upload.AbortAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is StorageUploadLostException or InvalidDataException)
            {
            }
        }
        await storage.DeletePrefixAsync(StorageLayout.UploadDirectory(id) + "/", cancellationToken);
    }

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
