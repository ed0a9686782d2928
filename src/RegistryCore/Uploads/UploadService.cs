using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Uploads;

/// <summary>Where an upload session stands: its id and how many bytes it has acknowledged.</summary>
public sealed record UploadStatus(Guid Id, long Size);

/// <summary>
/// Blob upload sessions: start, append chunks, report status, finish under a digest, cancel. Everything a session
/// needs is in its database row and its storage upload, never in this process, so each request of a session may
/// land on any instance, before or after a restart. A request that writes takes the session's claim first
/// (<see cref="UploadSessionClaim"/>); a chunk counts only once its bytes are durable and the row records them, so a
/// failed chunk needs no rollback: it is simply not recorded.
/// <para>
/// The digest is computed as the bytes stream in (<see cref="UploadContentHash"/>), its state saved in the session
/// row with each chunk, so finishing reads nothing back. Where that state is missing (it cannot be saved on this
/// platform, or the session began under an earlier release) or the staged bytes may have changed since they were
/// hashed (<see cref="IStorageUpload.StagedBytesIntact"/>), the staged bytes are hashed again at completion.
/// </para>
/// </summary>
public sealed class UploadService(
    RegistryDbContext db,
    BlobLedger ledger,
    IDbContextFactory<RegistryDbContext> contexts,
    BlobStore blobs,
    IBlobStorage storage,
    IOptions<UploadOptions> uploadOptions,
    TimeProvider time,
    RegistryMetrics metrics)
{
    private UploadOptions Options => uploadOptions.Value;

    /// <summary>Opens a session. Creates no repository: that waits until a blob is committed to it.</summary>
    public async Task<UploadStatus> StartAsync(string repository, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var upload = await storage.StartUploadAsync(id, cancellationToken);
        await using var _ = upload;
        var now = time.GetUtcNow().UtcDateTime;
        var session = new UploadSessionRecord
        {
            Id = id, RepositoryName = repository, Owner = OwnerOf(caller), StartedAt = now, UpdatedAt = now, Size = 0, StorageState = upload.State,
        };
        string? refused;
        try
        {
            // Not synced on its own (on SQLite): nothing is acknowledged on a new session but its id, a power cut
            // that takes the row only makes the client start the push again, and the first chunk recorded on it
            // (synced, after this in the log) makes the row durable too.
            using (SqliteGroupCommit.WithoutSync())
                refused = await UploadSessionGate.TryOpenAsync(db, session, Options, cancellationToken);
        }
        catch
        {
            await upload.AbortAsync(CancellationToken.None);
            throw;
        }
        if (refused is not null)
        {
            await upload.AbortAsync(CancellationToken.None);
            throw new RegistryException(RegistryError.TooManyRequests, refused);
        }
        return new UploadStatus(id, 0);
    }

    /// <summary>The acknowledged size: never bytes of a chunk that is still streaming or that failed.</summary>
    public async Task<UploadStatus> GetStatusAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        var size = await db.UploadSessions.Where(s => s.Id == id && s.RepositoryName == repository)
            .Select(s => (long?)s.Size).FirstOrDefaultAsync(cancellationToken);
        return size is { } held ? new UploadStatus(id, held) : throw new RegistryException(RegistryError.BlobUploadUnknown);
    }

    /// <summary>Appends a chunk. With a range, it must start exactly where the session ends (else 416).</summary>
    public async Task<UploadStatus> AppendAsync(string repository, Guid id, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        await using var claim = await UploadSessionClaim.AcquireAsync(contexts, time, Options, repository, id, cancellationToken);
        IStorageUpload? upload = null;
        try
        {
            var session = await ReadSessionAsync(id, claim.Lost);
            upload = await storage.ResumeUploadAsync(session.StorageState, claim.Lost);
            using var hash = UploadContentHash.Continue(session.ContentHashState, session.Size);
            // Without Content-Range the client streams a whole layer in one PATCH: record progress on the way, so a
            // crash leaves a session that reports and resumes from what is stored. A ranged chunk is all or nothing.
            var size = await AppendChunkAsync(upload, claim, hash, session.Size, body, range, contentLength, checkpoint: range is null);
            if (!await claim.RecordAsync(size, upload.State, SavedHash(hash, size), release: true, claim.Lost))
                throw new RegistryException(RegistryError.BlobUploadInvalid, "this upload session was taken over by another request");
            return new UploadStatus(id, size);
        }
        catch (Exception e)
        {
            throw await FailedAsync(claim, upload, id, e, cancellationToken);
        }
        finally
        {
            if (upload is not null) await upload.DisposeAsync();
        }
    }

    /// <summary>Finishes a session: appends the final chunk if any, verifies the digest and commits the blob.</summary>
    public async Task<long> CompleteAsync(string repository, Guid id, Digest digest, Stream? body, ContentRange? range, long? contentLength,
        RegistryCaller caller, CancellationToken cancellationToken)
    {
        await using var claim = await UploadSessionClaim.AcquireAsync(contexts, time, Options, repository, id, cancellationToken);
        IStorageUpload? upload = null;
        var finished = false;
        try
        {
            var session = await ReadSessionAsync(id, claim.Lost);
            upload = await storage.ResumeUploadAsync(session.StorageState, claim.Lost);
            using var hash = digest.Algorithm == "sha256" && upload.StagedBytesIntact ? UploadContentHash.Continue(session.ContentHashState, session.Size) : null;
            // The final chunk is recorded only with the blob: when the digest is wrong, the session keeps what it had.
            var size = body is null ? session.Size : await AppendChunkAsync(upload, claim, hash, session.Size, body, range, contentLength, checkpoint: false);
            var actual = hash is not null && hash.Length == size ? hash.Finish() : await DigestOfAsync(upload, digest.Algorithm, claim.Lost);
            if (actual != digest)
                throw new RegistryException(RegistryError.DigestInvalid, $"uploaded content has digest {actual}, not {digest}");

            // Recorded and linked first, with the session's claim-fenced removal in the same ledger transaction (the
            // ledger waits out a sweep deleting this digest), so garbage collection keeps the blob from here on; then
            // published. No storage I/O inside the ledger's lock (docs/gc.md).
            var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
            var token = claim.Token;
            // The push event commits with the row (its notification is queued in that transaction): should publishing
            // fail below, the client retries and listeners see the digest pushed again.
            await ledger.RecordAndLinkAsync(repositoryId, digest.ToString(), size, async ct =>
            {
                if (await db.UploadSessions.Where(s => s.Id == claim.SessionId && s.ClaimToken == token).ExecuteDeleteAsync(ct) == 0)
                    throw new RegistryException(RegistryError.BlobUploadUnknown, "the upload session was cancelled");
            }, new RegistryEvent(RegistryEventKind.BlobUploaded, repository, caller) { Digest = digest.ToString(), Size = size }, cancellationToken);
            // The session row is gone: the claim has nothing left to renew, and a failure from here on is this
            // request's own error, not a lost session.
            await claim.FinishedAsync();
            finished = true;
            // Publishing (an fsync and rename, or a put of the parts on an object store). A blob that was already
            // stored is not written again; its staged bytes go.
            if (await blobs.SizeAsync(digest, cancellationToken) is null)
                await blobs.CommitAsync(upload, digest, cancellationToken);
            else
                await upload.AbortAsync(CancellationToken.None);
            return size;
        }
        catch (Exception) when (finished)
        {
            // Recorded but not published: the row describes nothing and garbage collection drops it; the staged
            // bytes, named by no session any more, go now.
            if (upload is not null) await upload.AbortAsync(CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            throw await FailedAsync(claim, upload, id, e, cancellationToken);
        }
        finally
        {
            if (upload is not null) await upload.DisposeAsync();
        }
    }

    /// <summary>
    /// Cancels a session at once, even while a chunk of it is streaming: the row goes first, so that request's fenced
    /// updates find nothing and it answers BLOB_UPLOAD_UNKNOWN; then the staged bytes are removed.
    /// </summary>
    public async Task CancelAsync(string repository, Guid id, CancellationToken cancellationToken)
    {
        var state = await db.UploadSessions.Where(s => s.Id == id && s.RepositoryName == repository)
            .Select(s => s.StorageState).FirstOrDefaultAsync(cancellationToken);
        if (state is null || await db.UploadSessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
            throw new RegistryException(RegistryError.BlobUploadUnknown);
        await UploadStaging.DiscardAsync(storage, id, state, CancellationToken.None);
    }

    /// <summary>A whole blob in one request (<c>POST ?digest=</c>).</summary>
    public async Task<long> PutMonolithicAsync(string repository, Digest digest, Stream body, long? contentLength, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var size = await blobs.WriteAsync(body, digest, contentLength, cancellationToken);
        metrics.BytesReceived(size);
        // Published before it is recorded: should a sweep have been deleting this digest meanwhile, the ledger waited
        // for it, and the object may be gone; refuse rather than acknowledge a blob that is not there (docs/gc.md).
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        if (await ledger.RecordAndLinkAsync(repositoryId, digest.ToString(), size,
                new RegistryEvent(RegistryEventKind.BlobUploaded, repository, caller) { Digest = digest.ToString(), Size = size }, cancellationToken)
            && await blobs.SizeAsync(digest, cancellationToken) is null)
            throw new RegistryException(RegistryError.BlobUploadInvalid, "the blob was removed while it was being stored; push it again");
        return size;
    }

    /// <summary>Who a session counts against: the user, else the client's address.</summary>
    public static string OwnerOf(RegistryCaller caller) =>
        caller.User is { Length: > 0 } user ? "user:" + user
        : caller.Address is { Length: > 0 } address ? "address:" + address
        : "anonymous";

    /// <param name="hash">The session's content hash, continued with every byte appended; null when it is not kept.</param>
    private async Task<long> AppendChunkAsync(IStorageUpload upload, UploadSessionClaim claim, UploadContentHash? hash, long acknowledged, Stream body,
        ContentRange? range, long? contentLength, bool checkpoint)
    {
        if (range is { } r)
        {
            if (r.Start != acknowledged)
                throw RangeError(acknowledged, $"chunk starts at {r.Start} but the upload holds {acknowledged} bytes");
            if (contentLength is { } declared && declared != r.Length)
                throw RangeError(acknowledged, $"Content-Range covers {r.Length} bytes but Content-Length is {declared}");
        }
        var expected = range?.Length ?? contentLength;
        var remaining = expected ?? long.MaxValue;
        var size = acknowledged;
        while (true)
        {
            var part = checkpoint ? Math.Min(remaining, Options.CheckpointBytes) : remaining;
            Stream content = new BoundedReadStream(body, part, leaveOpen: true);
            if (hash is not null) content = new UploadHashingReadStream(content, hash);
            var appended = await upload.AppendAsync(content, claim.Lost);
            metrics.BytesReceived(appended);
            size += appended;
            remaining -= appended;
            if (appended < part || remaining == 0) break;
            // A whole checkpoint's worth arrived and more may follow: make it count before reading on.
            if (!await claim.RecordAsync(size, upload.State, SavedHash(hash, size), release: false, claim.Lost))
                throw new RegistryException(RegistryError.BlobUploadInvalid, "this upload session was taken over by another request");
        }
        if (expected is { } length && size - acknowledged != length)
            throw new RegistryException(RegistryError.SizeInvalid, $"received {size - acknowledged} bytes, expected {length}");
        if (expected is not null && await body.ReadAsync(new byte[1], claim.Lost) > 0)
            throw new RegistryException(RegistryError.SizeInvalid, "more content than the declared length");
        return size;
    }

    /// <summary>The hash state to keep with <paramref name="size"/> acknowledged bytes: only one covering exactly them.</summary>
    private static string? SavedHash(UploadContentHash? hash, long size) => hash is not null && hash.Length == size ? hash.SaveState() : null;

    private static async Task<Digest> DigestOfAsync(IStorageUpload upload, string algorithm, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        await using var content = await upload.OpenReadAsync(cancellationToken);
        await HashingCopy.CopyAsync(content, Stream.Null, hash, cancellationToken);
        return Digest.FromHash(algorithm, hash.GetHashAndReset());
    }

    private async Task<(long Size, string StorageState, string? ContentHashState)> ReadSessionAsync(Guid id, CancellationToken cancellationToken)
    {
        var session = await db.UploadSessions.AsNoTracking().Where(s => s.Id == id)
            .Select(s => new { s.Size, s.StorageState, s.ContentHashState }).FirstOrDefaultAsync(cancellationToken);
        return session is null ? throw new RegistryException(RegistryError.BlobUploadUnknown) : (session.Size, session.StorageState, session.ContentHashState);
    }

    /// <summary>
    /// What a request that failed after claiming the session answers. The claim is given up (the session is marked as
    /// having failed its last chunk, for the shorter purge age); the acknowledged bytes stay as they were. When the
    /// session is gone (cancelled while this request streamed), whatever this request staged is removed and the
    /// client is told the session is unknown; a session whose staged bytes vanished is removed the same way.
    /// </summary>
    private async Task<Exception> FailedAsync(UploadSessionClaim claim, IStorageUpload? upload, Guid id, Exception failure,
        CancellationToken requestAborted)
    {
        try
        {
            await claim.ReleaseFailedAsync();
            await using var check = await contexts.CreateDbContextAsync(CancellationToken.None);
            var state = await check.UploadSessions.Where(s => s.Id == id).Select(s => s.StorageState).FirstOrDefaultAsync(CancellationToken.None);
            if (failure is StorageUploadLostException && state is not null)
            {
                await check.UploadSessions.Where(s => s.Id == id).ExecuteDeleteAsync(CancellationToken.None);
                state = null;
            }
            if (state is null)
            {
                if (upload is not null) await upload.AbortAsync(CancellationToken.None);
                return failure is RegistryException { Error.Code: "BLOB_UPLOAD_UNKNOWN" } known ? known
                    : new RegistryException(RegistryError.BlobUploadUnknown, "the upload session was cancelled or has expired");
            }
        }
        catch (Exception) when (failure is RegistryException)
        {
            // Tidying up failed too (the database is unreachable): the client still gets the chunk's own error, and
            // the claim lapses by itself.
        }
        if (failure is OperationCanceledException && !requestAborted.IsCancellationRequested)
            return new RegistryException(RegistryError.BlobUploadInvalid, "this upload session was taken over by another request");
        return failure;
    }

    private static RegistryException RangeError(long size, string message)
    {
        var error = new RegistryException(RegistryError.RangeInvalid, message);
        error.Headers["Range"] = ContentRange.UploadRangeHeader(size);
        return error;
    }
}
