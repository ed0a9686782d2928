namespace Wharf.Portal.Accounts;

public static class Roles
{
    /// <summary>Everything: delete, users, upstreams, garbage collection.</summary>
    public const string Admin = "Admin";
    /// <summary>Browse only.</summary>
    public const string Viewer = "Viewer";

    public static readonly string[] All = [Admin, Viewer];
}
