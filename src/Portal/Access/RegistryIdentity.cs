namespace Wharf.Portal.Access;

/// <summary>
/// A registry caller whose credentials were checked: a portal user, signed in with the password or with one of their
/// access tokens (which may allow less than the user may do).
/// </summary>
public sealed record RegistryIdentity(string UserId, string UserName, IReadOnlyList<string> Roles)
{
    public bool IsAdmin => Roles.Contains(Accounts.Roles.Admin);

    /// <summary>The access token used, if any.</summary>
    public long? AccessTokenId { get; init; }

    /// <summary>What the access token allows (everything for a password).</summary>
    public RepositoryActions TokenActions { get; init; } = RepositoryActions.All;

    /// <summary>The repositories the access token is limited to (empty for a password: every repository).</summary>
    public string TokenPrefix { get; init; } = "";
}
