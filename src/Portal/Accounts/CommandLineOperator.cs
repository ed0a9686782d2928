using System.Security.Claims;

namespace Wharf.Portal.Accounts;

/// <summary>
/// The actor of <c>wharf users …</c>, <c>wharf grants …</c> and <c>wharf tokens …</c>: whoever can run Wharf's
/// command line against its data directory already holds every secret in it, so they act as an Admin. Their audit
/// entries name the operating-system user ("cli:root").
/// </summary>
public static class CommandLineOperator
{
    private const string AuthenticationType = "wharf-command-line";

    public static ClaimsPrincipal Create() => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "cli:" + Environment.UserName), new Claim(ClaimTypes.Role, Roles.Admin)], AuthenticationType));

    public static bool Is(ClaimsPrincipal actor) => actor.Identity?.AuthenticationType == AuthenticationType;
}
