namespace Wharf.Portal.Data;

/// <summary>
/// Who may do what to the repositories under a prefix. Grants only ever add: Admins may do everything without one,
/// and nobody else may do anything that no grant allows.
/// </summary>
public sealed class RepositoryGrant
{
    public long Id { get; set; }
    /// <summary>A repository name prefix, matched path component-wise ("team" covers team and team/app, not teamwork); empty for every repository.</summary>
    public required string RepositoryPrefix { get; set; }
    /// <summary>One of <see cref="GrantSubjectKind"/>.</summary>
    public required string SubjectKind { get; set; }
    /// <summary>The user's id or the role's name; empty for anonymous and every signed-in user.</summary>
    public string Subject { get; set; } = "";
    /// <summary>A subset of "pull,push,delete".</summary>
    public required string Actions { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

public static class GrantSubjectKind
{
    /// <summary>Callers without credentials.</summary>
    public const string Anonymous = "anonymous";
    /// <summary>Every signed-in user.</summary>
    public const string AnyUser = "any-user";
    /// <summary>Every user in a role (the roles are the groups).</summary>
    public const string Role = "role";
    public const string User = "user";

    public static readonly string[] All = [Anonymous, AnyUser, Role, User];
}
