using Microsoft.AspNetCore.Identity;

namespace Wharf.Portal.Data;

/// <summary>A person (or robot) who signs in to the portal and, later, to the registry.</summary>
public sealed class PortalUser : IdentityUser
{
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; }
}
