using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Access;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Accounts;

/// <summary>Whether an authentication attempt may be checked at all, and if not, for how long.</summary>
public sealed record ThrottleVerdict(bool Allowed, TimeSpan RetryAfter)
{
    public static readonly ThrottleVerdict Allow = new(true, TimeSpan.Zero);
}

/// <summary>
/// Slows password (and access token) guessing without letting anyone lock an account: failures are counted per
/// account <em>and</em> client address, so a guesser blocks only themselves and the right password from another
/// address still works; and per client address across all accounts, against one address trying many names.
/// Past the free failures, each further failure blocks the pair (or the address) for twice as long as the last,
/// from <see cref="FirstBlock"/> up to <see cref="LongestBlock"/>; counts are forgotten after <see cref="Forget"/>
/// without a failure, and a success clears the pair. Only failures count: a CI job that authenticates a thousand
/// times is never slowed. State lives in the portal database, so every instance sharing it agrees.
/// Refused attempts are audited in aggregate: at most one row per blocked key and minute, with the count.
/// </summary>
public sealed class SignInThrottle(
    IDbContextFactory<PortalDbContext> contexts, ILookupNormalizer normalizer, AuditLog audit, TimeProvider clock, AccessSettings settings)
{
    public static readonly TimeSpan FirstBlock = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan LongestBlock = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Forget = TimeSpan.FromHours(1);
    private static readonly TimeSpan AuditEvery = TimeSpan.FromMinutes(1);
    public const string AuditAction = "auth.throttled";

    /// <summary>Whether to check this attempt; a refusal is counted for the audit trail.</summary>
    public async Task<ThrottleVerdict> CheckAsync(string userName, string? clientAddress, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var keys = Keys(userName, clientAddress);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.AuthenticationFailures.Where(f => f.Key == keys.Account || f.Key == keys.Address).ToListAsync(cancellationToken);
        var blocking = rows.Where(r => r.BlockedUntil > now).MaxBy(r => r.BlockedUntil);
        if (blocking is null) return ThrottleVerdict.Allow;
        blocking.RefusedSinceAudit++;
        if (blocking.LastAuditAt is not { } last || now - last >= AuditEvery) AuditRefusals(blocking, now);
        await SaveAsync(db, cancellationToken);
        return new ThrottleVerdict(false, blocking.BlockedUntil!.Value - now);
    }

    public async Task RecordFailureAsync(string userName, string? clientAddress, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var keys = Keys(userName, clientAddress);
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await CountAsync(db, keys.Account, keys.NormalizedUserName, keys.ClientAddress, settings.FailuresBeforeBackoff, now, cancellationToken);
            await CountAsync(db, keys.Address, null, keys.ClientAddress, settings.AddressFailuresBeforeBackoff, now, cancellationToken);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException e) when (IsReadOnly(e))
            {
                return; // see IsReadOnly
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another request created the same row first: count again on top of it.
            }
        }
    }

    /// <summary>The right credentials from this address: its failures for the account are forgotten.</summary>
    public async Task RecordSuccessAsync(string userName, string? clientAddress, CancellationToken cancellationToken)
    {
        var key = Keys(userName, clientAddress).Account;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        try
        {
            await db.AuthenticationFailures.Where(f => f.Key == key).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception e) when (IsReadOnly(e))
        {
        }
    }

    /// <summary>
    /// The portal database is on a read-only data directory (Wharf serves pulls only): failures cannot be recorded
    /// there, and the attempt is answered as it would be otherwise, never with an error of the throttle's own.
    /// </summary>
    private static bool IsReadOnly(Exception e) => Wharf.Registry.Storage.StorageFault.Classify(e) == Wharf.Registry.Storage.StorageFaultKind.ReadOnly;

    /// <summary>Forgets every failure counted for the account, from every address (an operator's unlock).</summary>
    public async Task<int> ForgetAccountAsync(string userName, CancellationToken cancellationToken)
    {
        var normalized = Normalize(userName);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuthenticationFailures.Where(f => f.NormalizedUserName == normalized).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// Audits refusals not yet reported, of blocks that have ended, and drops rows forgotten anyway
    /// (run from time to time by <see cref="AuditRetention"/>).
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var row in await db.AuthenticationFailures.Where(f => f.RefusedSinceAudit > 0 && f.BlockedUntil <= now).ToListAsync(cancellationToken))
            AuditRefusals(row, now);
        await db.SaveChangesAsync(cancellationToken);
        var stale = now - Forget;
        await db.AuthenticationFailures.Where(f => f.LastFailureAt < stale && f.RefusedSinceAudit == 0 && (f.BlockedUntil == null || f.BlockedUntil < now))
            .ExecuteDeleteAsync(cancellationToken);
    }

    private async Task CountAsync(PortalDbContext db, string key, string? normalizedUserName, string clientAddress, int freeFailures, DateTime now, CancellationToken cancellationToken)
    {
        var row = await db.AuthenticationFailures.FirstOrDefaultAsync(f => f.Key == key, cancellationToken);
        if (row is null)
        {
            row = new AuthenticationFailure { Key = key, NormalizedUserName = normalizedUserName, ClientAddress = clientAddress };
            db.AuthenticationFailures.Add(row);
        }
        if (now - row.LastFailureAt > Forget) row.Failures = 0;
        row.Failures++;
        row.LastFailureAt = now;
        if (row.Failures < freeFailures) return;
        var doublings = Math.Min(row.Failures - freeFailures, 10);
        var block = TimeSpan.FromTicks(Math.Min(FirstBlock.Ticks << doublings, LongestBlock.Ticks));
        row.BlockedUntil = now + block;
        audit.Record(normalizedUserName ?? "anonymous", AuditAction, AuditOutcome.Failure, clientAddress: clientAddress,
            detail: $"{row.Failures} failed authentications {(normalizedUserName is null ? "from this address" : "for this account from this address")}: further attempts refused for {block.TotalSeconds:0} s");
    }

    private void AuditRefusals(AuthenticationFailure row, DateTime now)
    {
        audit.Record(row.NormalizedUserName ?? "anonymous", AuditAction, AuditOutcome.Failure, clientAddress: row.ClientAddress,
            detail: $"{row.RefusedSinceAudit} attempt(s) refused unchecked since {(row.LastAuditAt ?? row.LastFailureAt):u} (blocked until {row.BlockedUntil:u})");
        row.RefusedSinceAudit = 0;
        row.LastAuditAt = now;
    }

    private static async Task SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The row was cleared meanwhile (a success or an unlock): the refusal count is not worth a retry.
        }
        catch (DbUpdateException e) when (IsReadOnly(e))
        {
        }
    }

    private string Normalize(string userName) => normalizer.NormalizeName(userName.Trim()) ?? "";

    private (string Account, string Address, string NormalizedUserName, string ClientAddress) Keys(string userName, string? clientAddress)
    {
        var name = Normalize(userName.Length > 256 ? userName[..256] : userName);
        var address = string.IsNullOrEmpty(clientAddress) ? "unknown" : clientAddress;
        return ($"account:{name}@{address}", $"address:{address}", name, address);
    }
}
