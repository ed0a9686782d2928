namespace Wharf.Portal.Data;

/// <summary>
/// Failed authentications counted for one account from one client address, or for one client address across all
/// accounts (<see cref="NormalizedUserName"/> null). Kept in the portal database so every instance sharing it
/// throttles alike.
/// </summary>
public sealed class AuthenticationFailure
{
    /// <summary><c>account:&lt;normalized user&gt;@&lt;address&gt;</c> or <c>address:&lt;address&gt;</c>.</summary>
    public required string Key { get; set; }
    public string? NormalizedUserName { get; set; }
    public required string ClientAddress { get; set; }
    public int Failures { get; set; }
    public DateTime LastFailureAt { get; set; }
    /// <summary>Attempts are refused without checking the password until then.</summary>
    public DateTime? BlockedUntil { get; set; }
    /// <summary>Attempts refused since the audit trail last said so (refusals are audited in aggregate, not one row each).</summary>
    public int RefusedSinceAudit { get; set; }
    public DateTime? LastAuditAt { get; set; }
}
