namespace Wharf.Portal.Data;

/// <summary>One line of the audit trail: who did what, to what, when, and how it ended.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime Timestamp { get; set; }
    /// <summary>The user name, or "anonymous".</summary>
    public required string Actor { get; set; }
    public string? ClientAddress { get; set; }
    /// <summary>What happened, e.g. "manifest.push", "sign-in", "user.create".</summary>
    public required string Action { get; set; }
    public string? Repository { get; set; }
    /// <summary>The digest, tag or user the action was about.</summary>
    public string? Target { get; set; }
    public required string Outcome { get; set; }
    public string? Detail { get; set; }
}

public static class AuditOutcome
{
    public const string Success = "success";
    public const string Failure = "failure";
}
