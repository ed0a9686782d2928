using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// The credentials of every Wharf a test started (its first Admin), by host:port. skopeo (through
/// <see cref="ExternalTool.SkopeoAsync"/>) and <see cref="RegistryHttp"/> log in with them, as a user would, so the
/// tests run against Wharf as it ships: with authentication on.
/// </summary>
public static class RegistryLogins
{
    private static readonly ConcurrentDictionary<string, (string User, string Password)> Logins = new(StringComparer.OrdinalIgnoreCase);

    public static void Register(string hostPort, string user, string password) => Logins[hostPort] = (user, password);

    public static (string User, string Password)? Find(string hostPort) => Logins.TryGetValue(hostPort, out var login) ? login : null;

    /// <summary>
    /// Writes an auth file (containers-auth.json) with the logins of the registries these arguments name, or returns
    /// null when they name none.
    /// </summary>
    public static string? WriteAuthFile(IEnumerable<string> arguments)
    {
        var auths = new Dictionary<string, object>();
        foreach (var argument in arguments)
        {
            var start = argument.IndexOf("docker://", StringComparison.Ordinal);
            if (start < 0) continue;
            var hostPort = argument[(start + "docker://".Length)..].Split('/')[0];
            if (Find(hostPort) is { } login)
                auths[hostPort] = new { auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login.User}:{login.Password}")) };
        }
        if (auths.Count == 0) return null;
        var path = Path.Combine(Path.GetTempPath(), $"wharf-e2e-auth-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { auths }));
        return path;
    }
}
