using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Uploads;

/// <summary>
/// The right to write to one upload session, held by one request at a time across every instance sharing the
/// database. It lives in the session row (<c>ClaimToken</c>, <c>ClaimExpiresAt</c>), is taken by a conditional
/// UPDATE and renewed by another, each a single-row statement in its own short transaction: no database lock is held
/// while a chunk streams (on SQLite that lock would stop every other push).
/// <para>
/// Why a claim rather than an optimistic version column: with versions, two requests would both stream into the
/// same storage upload (the same file offset, the same next part) before either could learn it lost, and the loser's
/// bytes could replace the winner's after the winner was acknowledged. A claim keeps the second writer out before
/// it writes anything. Every later write of the holder is fenced by <c>WHERE ClaimToken = mine</c>, so a holder
/// whose claim is gone (the session was cancelled, or the claim lapsed while it stalled) records nothing.
/// </para>
/// A holder renews the claim every third of <see cref="UploadOptions.ClaimLifetime"/>; when it cannot (the session
/// was cancelled or taken over), <see cref="Lost"/> fires and the request stops streaming. A holder that crashed
/// stops renewing and its claim lapses after the lifetime; a request that finds a claim waits for it (up to one
/// lifetime and a bit), so a client resuming right after a crash is served, and two racing PATCHes run one after the
/// other. The instances' clocks are assumed to agree to well within the lifetime (NTP).
/// </summary>
public sealed class UploadSessionClaim : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly IDbContextFactory<RegistryDbContext> _contexts;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly CancellationTokenSource _lost;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Task _renewing;
    private bool _released;

    private UploadSessionClaim(IDbContextFactory<RegistryDbContext> contexts, TimeProvider time, TimeSpan lifetime, Guid sessionId, Guid token,
        DateTime expiresAt, CancellationToken requestAborted)
    {
        _contexts = contexts;
        _time = time;
        _lifetime = lifetime;
        SessionId = sessionId;
        Token = token;
        ExpiresAt = expiresAt;
        _lost = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _renewing = RenewAsync();
    }

    public Guid SessionId { get; }

    /// <summary>What the holder's fenced updates match on.</summary>
    public Guid Token { get; }

    private DateTime ExpiresAt { get; set; }

    /// <summary>Cancelled when the request went away or the claim is no longer this request's: stop streaming.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Whether the claim was found gone while renewing it.</summary>
    public bool WasTaken { get; private set; }

    /// <summary>
    /// Claims the session for this request, waiting while another request holds it.
    /// </summary>
    /// <exception cref="RegistryException">BLOB_UPLOAD_UNKNOWN when there is no such session in the repository;
    /// BLOB_UPLOAD_INVALID when another request kept it for longer than a claim's lifetime.</exception>
    public static async Task<UploadSessionClaim> AcquireAsync(IDbContextFactory<RegistryDbContext> contexts, TimeProvider time, UploadOptions options,
        string repository, Guid id, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        var giveUpAt = time.GetUtcNow().UtcDateTime + options.ClaimLifetime + options.ClaimLifetime / 3;
        while (true)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var expiresAt = now + options.ClaimLifetime;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                // Not synced on its own (on SQLite): a claim lost in a power cut was held by a request the cut ended
                // too, and nothing is acknowledged on it; the chunk's record, synced, covers it anyway.
                int claimed;
                using (SqliteGroupCommit.WithoutSync())
                    claimed = await db.UploadSessions
                        .Where(s => s.Id == id && s.RepositoryName == repository && (s.ClaimToken == null || s.ClaimExpiresAt < now))
                        .ExecuteUpdateAsync(u => u.SetProperty(s => s.ClaimToken, token).SetProperty(s => s.ClaimExpiresAt, expiresAt), cancellationToken);
                if (claimed == 1) return new UploadSessionClaim(contexts, time, options.ClaimLifetime, id, token, expiresAt, cancellationToken);
                if (!await db.UploadSessions.AnyAsync(s => s.Id == id && s.RepositoryName == repository, cancellationToken))
                    throw new RegistryException(RegistryError.BlobUploadUnknown);
            }
            if (now >= giveUpAt)
                throw new RegistryException(RegistryError.BlobUploadInvalid, "another request is still writing to this upload session; retry when it has finished");
            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    /// <summary>Gives the claim up without recording anything, and marks the session's last chunk as failed.</summary>
    public async Task ReleaseFailedAsync()
    {
        _released = true;
        await StopRenewingAsync();
        var now = _time.GetUtcNow().UtcDateTime;
        await using var db = await _contexts.CreateDbContextAsync(CancellationToken.None);
        await db.UploadSessions.Where(s => s.Id == SessionId && s.ClaimToken == Token)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ClaimToken, (Guid?)null).SetProperty(s => s.ClaimExpiresAt, (DateTime?)null)
                .SetProperty(s => s.LastChunkFailed, true).SetProperty(s => s.UpdatedAt, now), CancellationToken.None);
    }

    /// <summary>
    /// Records acknowledged bytes: the new size, storage state and content hash state (for exactly those bytes, or
    /// null), fenced by the claim. With <paramref name="release"/> the claim is given up in the same statement. False
    /// when the claim is no longer this request's.
    /// </summary>
    public async Task<bool> RecordAsync(long size, string storageState, string? contentHashState, bool release, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var expiresAt = release ? (DateTime?)null : now + _lifetime;
        var token = release ? (Guid?)null : Token;
        if (release) await StopRenewingAsync();
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var recorded = await db.UploadSessions.Where(s => s.Id == SessionId && s.ClaimToken == Token)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Size, size).SetProperty(s => s.StorageState, storageState)
                .SetProperty(s => s.ContentHashState, contentHashState)
                .SetProperty(s => s.UpdatedAt, now).SetProperty(s => s.LastChunkFailed, false)
                .SetProperty(s => s.ClaimToken, token).SetProperty(s => s.ClaimExpiresAt, expiresAt), cancellationToken);
        if (recorded == 1 && !release) ExpiresAt = expiresAt!.Value;
        if (recorded == 1 && release) _released = true;
        return recorded == 1;
    }

    /// <summary>The session row is gone with the claim in it (the upload finished).</summary>
    public async Task FinishedAsync()
    {
        _released = true;
        await StopRenewingAsync();
    }

    private async Task RenewAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_lifetime / 3, _time, _stopRenewing.Token);
                var now = _time.GetUtcNow().UtcDateTime;
                var expiresAt = now + _lifetime;
                try
                {
                    await using var db = await _contexts.CreateDbContextAsync(_stopRenewing.Token);
                    int renewed;
                    using (SqliteGroupCommit.WithoutSync())
                        renewed = await db.UploadSessions.Where(s => s.Id == SessionId && s.ClaimToken == Token)
                            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ClaimExpiresAt, expiresAt), _stopRenewing.Token);
                    if (renewed == 0)
                    {
                        WasTaken = true;
                        await _lost.CancelAsync();
                        return;
                    }
                    ExpiresAt = expiresAt;
                }
                catch (Exception) when (!_stopRenewing.IsCancellationRequested)
                {
                    // The database did not answer this time. Keep trying while the claim holds; once it may have
                    // lapsed, another request may be writing: stop.
                    if (_time.GetUtcNow().UtcDateTime >= ExpiresAt)
                    {
                        await _lost.CancelAsync();
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopRenewing.IsCancellationRequested)
        {
        }
    }

    private async Task StopRenewingAsync()
    {
        if (!_stopRenewing.IsCancellationRequested) await _stopRenewing.CancelAsync();
        await _renewing;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_released)
        {
            try
            {
                await ReleaseFailedAsync();
            }
            catch (Exception)
            {
                // The claim lapses by itself after its lifetime.
            }
        }
        await StopRenewingAsync();
        _stopRenewing.Dispose();
        _lost.Dispose();
    }
}
