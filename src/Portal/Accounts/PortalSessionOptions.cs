namespace Wharf.Portal.Accounts;

/// <summary>
/// Wharf:Portal:RevalidationInterval: how often an open portal tab, and a sign-in cookie, is checked against the user
/// database (a disabled, deleted or demoted user loses what they lost within this time). At most a minute.
/// </summary>
public sealed class PortalSessionOptions
{
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);
}
