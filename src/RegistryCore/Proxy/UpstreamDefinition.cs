using System.Text.RegularExpressions;
using Wharf.Registry.Content;

namespace Wharf.Registry.Proxy;

/// <summary>
/// One upstream registry of the pull-through cache: repositories under <see cref="Prefix"/> are pulled through it,
/// the upstream repository being the rest of the name (<c>hub/library/nginx</c> → <c>library/nginx</c>). An empty
/// prefix covers the whole namespace (distribution's <c>proxy</c> section). <see cref="ToString"/> leaves the
/// password out, so a definition can be logged.
/// </summary>
public sealed partial class UpstreamDefinition
{
    /// <summary>distribution's default: content not pulled for a week leaves the cache.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(168);

    /// <summary>The name of the upstream that distribution's <c>proxy</c> section defines.</summary>
    public const string ProxySectionName = "proxy";

    public required string Name { get; init; }

    /// <summary>The repository prefix without a trailing slash ("hub"), or "" for the whole namespace.</summary>
    public required string Prefix { get; init; }

    /// <summary>The registry's root, e.g. <c>https://registry-1.docker.io</c>.</summary>
    public required Uri Url { get; init; }

    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>How long cached content stays after its last pull; <see cref="TimeSpan.Zero"/> keeps it for ever.</summary>
    public TimeSpan Ttl { get; init; } = DefaultTtl;

    /// <summary>Whether anonymous callers may pull through an upstream that has credentials.</summary>
    public bool AllowAnonymous { get; init; }

    public bool HasCredentials => Username is not null;

    /// <summary>Whether anonymous callers are refused: credentials are configured and not shared with them.</summary>
    public bool RequiresCaller => HasCredentials && !AllowAnonymous;

    public override string ToString() => $"{Name} ({(Prefix.Length == 0 ? "*" : Prefix + "/")} -> {Url.GetLeftPart(UriPartial.Authority)})";

    /// <summary>Whether two definitions reach the upstream the same way (so its tokens can be kept).</summary>
    public bool SameConnectionAs(UpstreamDefinition other) =>
        Url == other.Url && Username == other.Username && Password == other.Password;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Checks and normalises an upstream as configured.</summary>
    /// <param name="source">Where it was configured ("Wharf:Upstreams:0", "proxy"), for the error message.</param>
    /// <exception cref="InvalidDataException">With a message that says what to fix.</exception>
    public static UpstreamDefinition Create(string source, string? name, string? prefix, string? url, string? username, string? password,
        TimeSpan? ttl, bool allowAnonymous)
    {
        if (string.IsNullOrWhiteSpace(name) || !NamePattern().IsMatch(name.Trim()))
            throw new InvalidDataException($"{source}: Name must be 1 to 64 letters, digits, '.', '_' or '-' (got '{name}')");
        name = name.Trim();

        var normalizedPrefix = (prefix ?? "").Trim().Trim('/');
        if (normalizedPrefix.Length > 0 && !RepositoryName.IsValid(normalizedPrefix))
            throw new InvalidDataException($"{source}: Prefix '{prefix}' is not a valid repository path (lower-case components such as 'hub' or 'mirrors/ghcr')");

        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidDataException($"{source}: Url '{url}' must be an absolute http:// or https:// URL such as https://registry-1.docker.io");
        if (uri.UserInfo.Length > 0)
            throw new InvalidDataException($"{source}: Url must not contain credentials; set Username and Password instead");
        if (uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new InvalidDataException($"{source}: Url must be the registry's root (scheme, host and port only), not '{uri.AbsolutePath}{uri.Query}'");

        if (username is null != password is null)
            throw new InvalidDataException($"{source}: set both Username and Password, or neither");
        if (ttl is { } t && t < TimeSpan.Zero)
            throw new InvalidDataException($"{source}: Ttl must not be negative");

        return new UpstreamDefinition
        {
            Name = name,
            Prefix = normalizedPrefix,
            Url = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/"),
            Username = username,
            Password = password,
            Ttl = ttl ?? DefaultTtl,
            AllowAnonymous = allowAnonymous,
        };
    }

    /// <summary>Docker Hub, whose one-component names ("nginx") live under "library/".</summary>
    public bool IsDockerHub => Url.Host is "registry-1.docker.io" or "index.docker.io" or "docker.io" or "registry.hub.docker.com";

    /// <summary>
    /// Whether containerd's <c>?ns=</c> value (the registry host the client meant) names this upstream. docker.io is
    /// the usual one, and is served by registry-1.docker.io.
    /// </summary>
    public bool MatchesHost(string ns)
    {
        if (string.Equals(ns, Url.Authority, StringComparison.OrdinalIgnoreCase) || string.Equals(ns, Url.Host, StringComparison.OrdinalIgnoreCase))
            return true;
        return IsDockerHub && ns.ToLowerInvariant() is "docker.io" or "registry-1.docker.io" or "index.docker.io";
    }
}
