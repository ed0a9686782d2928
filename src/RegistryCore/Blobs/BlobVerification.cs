using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Blobs;

/// <summary>
/// The first read of a blob imported with <c>wharf import --defer-verification</c>: its bytes are hashed against its
/// digest before anything is served. A match clears the mark for good; a mismatch (or a missing or escaping file) is
/// never served as that digest: the read answers BLOB_UNKNOWN, the log says why, and the audit trail records it
/// (<see cref="RegistryEventKind.BlobVerificationFailed"/>). The mark stays, so every later read checks again.
/// </summary>
public sealed partial class BlobVerification(RegistryDbContext db, BlobStore store, IRegistryEventSink events, ILogger<BlobVerification> logger)
{
    /// <summary>Throws BLOB_UNKNOWN unless the blob's bytes are its digest's (at once for every blob not imported unverified).</summary>
    public async Task EnsureVerifiedAsync(string repository, Digest digest, bool unverified, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (!unverified) return;
        var text = digest.ToString();
        LogVerifying(logger, text);
        if (await store.VerifyAsync(digest, cancellationToken) is { } size)
        {
            await db.Blobs.Where(b => b.Digest == text).ExecuteUpdateAsync(s => s.SetProperty(b => b.UnverifiedSince, (DateTime?)null), cancellationToken);
            LogVerified(logger, text, size);
            return;
        }
        LogMismatch(logger, text, repository);
        events.Publish(new RegistryEvent(RegistryEventKind.BlobVerificationFailed, repository, caller)
        {
            Digest = text,
            Detail = "imported without verification; its stored bytes do not match the digest (or the file is missing or leads outside the store): not served",
        });
        throw new RegistryException(RegistryError.BlobUnknown,
            $"blob {text} is not served: its stored content does not match its digest (the operator finds this in Wharf's log and audit trail)");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Verifying blob {Digest} on its first read (imported with deferred verification)")]
    private static partial void LogVerifying(ILogger logger, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Blob {Digest} verified ({Size} bytes); served from now on without hashing")]
    private static partial void LogVerified(ILogger logger, string digest, long size);

    [LoggerMessage(Level = LogLevel.Error, Message = "Blob {Digest} (repository {Repository}) failed verification: its stored content does not match its digest, or its file is missing or leads outside the store; it is not served")]
    private static partial void LogMismatch(ILogger logger, string digest, string repository);
}
