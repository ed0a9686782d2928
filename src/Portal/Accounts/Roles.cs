namespace Wharf.Portal.Accounts;

public static class Roles
{
    /// <summary>Everything: delete, users, upstreams, garbage collection.</summary>
    public const string Admin = "Admin";
    /// <summary>Browse only, and only the repositories their grants let them pull.</summary>
    public const string Viewer = "Viewer";
    /// <summary>A registry account (CI): pushes and pulls what its grants allow, and cannot sign in to the portal.</summary>
    public const string RegistryOnly = "Registry";

    public static readonly string[] All = [Admin, Viewer, RegistryOnly];

    /// <summary>The roles that may sign in to the portal; the authorization policy for every portal page.</summary>
    public static readonly string[] Portal = [Admin, Viewer];
}
