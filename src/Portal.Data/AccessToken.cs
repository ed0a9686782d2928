namespace Wharf.Portal.Data;

/// <summary>
/// A personal access token (for CI and scripts): used instead of the password on the registry, limited in time and
/// scope. Only a SHA-256 hash of the secret is stored; the secret itself is shown once, at creation.
/// </summary>
public sealed class AccessToken
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole token string.</summary>
    public required string SecretHash { get; set; }
    /// <summary>The first characters of the token, so that its owner can recognise it in a list.</summary>
    public required string Hint { get; set; }
    /// <summary>The actions it allows, a subset of "pull,push,delete"; the owner's own permissions still apply.</summary>
    public required string Actions { get; set; }
    /// <summary>Repositories it is limited to (a name prefix, path component-wise); empty for every repository.</summary>
    public string RepositoryPrefix { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
