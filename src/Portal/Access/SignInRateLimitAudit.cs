using Wharf.Portal.Audit;
using Wharf.Portal.Data;

namespace Wharf.Portal.Access;

/// <summary>
/// Audits the sign-in form's rate-limit refusals (<c>Wharf:RateLimits:SignInsPerMinute</c> per client address) in
/// aggregate, as the throttle does for refused token requests: the first refusal from an address is written at once,
/// later ones at most once a minute per address with their count, and what is left is written by
/// <see cref="Flush"/> (hourly, from <see cref="AuditRetention"/>). A refused request is never read: no user name or
/// password from its form reaches the trail. The rate limiter counts per instance, and so does this.
/// </summary>
public sealed class SignInRateLimitAudit(AuditLog audit, TimeProvider clock)
{
    public const string AuditAction = "sign-in.rate-limited";
    private static readonly TimeSpan AuditEvery = TimeSpan.FromMinutes(1);

    /// <summary>Addresses kept at most; past it everything is written out and forgotten (many addresses, each refused).</summary>
    private const int MaxAddresses = 10_000;

    private sealed class Refusals
    {
        public int Pending;
        public DateTime FirstPendingAt;
        public DateTime? LastAuditAt;
    }

    private readonly Dictionary<string, Refusals> _byAddress = new(StringComparer.Ordinal);

    /// <summary>One sign-in post from <paramref name="clientAddress"/> refused by the rate limit.</summary>
    public void Refused(string? clientAddress, int limitPerMinute)
    {
        var address = string.IsNullOrEmpty(clientAddress) ? "unknown" : clientAddress;
        var now = clock.GetUtcNow().UtcDateTime;
        lock (_byAddress)
        {
            if (!_byAddress.TryGetValue(address, out var refusals))
            {
                if (_byAddress.Count >= MaxAddresses) FlushLocked(forget: true);
                _byAddress[address] = refusals = new Refusals();
            }
            if (refusals.Pending++ == 0) refusals.FirstPendingAt = now;
            if (refusals.LastAuditAt is not { } last || now - last >= AuditEvery) Write(address, refusals, now, limitPerMinute);
        }
    }

    /// <summary>Writes the refusals not yet in the trail, and forgets addresses with nothing left to report.</summary>
    public void Flush()
    {
        lock (_byAddress) FlushLocked(forget: false);
    }

    private void FlushLocked(bool forget)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (address, refusals) in _byAddress.ToList())
        {
            if (refusals.Pending > 0) Write(address, refusals, now, null);
            else if (forget || refusals.LastAuditAt is not { } last || now - last >= AuditEvery) _byAddress.Remove(address);
        }
        if (forget) _byAddress.Clear();
    }

    private void Write(string address, Refusals refusals, DateTime now, int? limitPerMinute)
    {
        var limit = limitPerMinute is { } l ? $" (more than {l} sign-in attempts a minute from this address)" : "";
        audit.Record("anonymous", AuditAction, AuditOutcome.Failure, clientAddress: address,
            detail: $"{refusals.Pending} sign-in attempt(s) refused by the rate limit{limit} since {refusals.FirstPendingAt:u}");
        refusals.Pending = 0;
        refusals.LastAuditAt = now;
    }
}
