namespace Wharf.Portal.Data;

/// <summary>An upstream registry an Admin added in the portal. The password is stored encrypted (Data Protection), never in clear.</summary>
public sealed class UpstreamRecord
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The repository prefix that routes to it ("hub" for hub/library/nginx); empty mirrors every name.</summary>
    public required string Prefix { get; set; }
    public required string Url { get; set; }
    public string? Username { get; set; }
    /// <summary>The password, encrypted with the portal's Data Protection keys.</summary>
    public string? ProtectedPassword { get; set; }
    public long TtlSeconds { get; set; }
    public bool AllowAnonymous { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
