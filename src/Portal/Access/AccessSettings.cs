using System.Net;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Access;

/// <summary>How /v2 callers authenticate.</summary>
public enum RegistryAuthMode
{
    /// <summary>Bearer tokens from Wharf's own token endpoint, as Docker Hub and Harbor do it (the default).</summary>
    Token,
    /// <summary>Basic credentials on every /v2 request, for simple set-ups.</summary>
    Basic,
    /// <summary>No authentication: anyone who reaches the port may do anything. For local development.</summary>
    None,
    /// <summary>distribution's auth.htpasswd: Basic with the users of an htpasswd file, each of whom may do everything.</summary>
    Htpasswd,
    /// <summary>distribution's auth.token: bearer tokens of an external token server, verified against its certificates.</summary>
    ExternalToken,
}

/// <summary>
/// Registry access settings (<c>Wharf:Auth</c>, <c>Wharf:RateLimits</c>, <c>Wharf:ForwardedHeaders</c>), read once at
/// start. Configuration Wharf cannot honour fails the start with a message that says what to do instead.
/// </summary>
public sealed class AccessSettings
{
    public RegistryAuthMode Mode { get; init; } = RegistryAuthMode.Token;
    /// <summary>The token service's name: the <c>service</c> of challenges and the audience of tokens.</summary>
    public string Service { get; init; } = "wharf";
    public string Issuer { get; init; } = "wharf";
    /// <summary>The token endpoint's outside URL; by default built from the request (honouring trusted proxies).</summary>
    public string? Realm { get; init; }
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(90);
    /// <summary>Sign-in form posts per client address and minute.</summary>
    public int SignInsPerMinute { get; init; } = 10;
    /// <summary>Failed authentications of one account from one address before the throttle's backoff begins.</summary>
    public int FailuresBeforeBackoff { get; init; } = 5;
    /// <summary>Failed authentications from one address, whatever the account, before its backoff begins.</summary>
    public int AddressFailuresBeforeBackoff { get; init; } = 30;
    public IReadOnlyList<IPAddress> KnownProxies { get; init; } = [];
    public IReadOnlyList<System.Net.IPNetwork> KnownNetworks { get; init; } = [];

    public bool IsOpen => Mode == RegistryAuthMode.None;

    /// <summary>auth.htpasswd.path and .realm, in <see cref="RegistryAuthMode.Htpasswd"/> mode.</summary>
    public string? HtpasswdPath { get; init; }
    public string HtpasswdRealm { get; init; } = "Registry Realm";

    /// <summary>auth.token, in <see cref="RegistryAuthMode.ExternalToken"/> mode.</summary>
    public ExternalTokenSettings? ExternalToken { get; init; }

    public const string TokenLimitRefusal =
        "Wharf:RateLimits:TokenRequestsPerMinute is no longer supported: it counted successful token requests, so busy CI was refused. " +
        "Wharf now limits failed authentications only (Wharf:RateLimits:FailuresBeforeBackoff per account and address, " +
        "Wharf:RateLimits:AddressFailuresBeforeBackoff per address); remove the setting. docs/security.md describes the throttle.";

    /// <exception cref="InvalidDataException">A setting is invalid or asks for something Wharf does not do.</exception>
    public static AccessSettings Bind(IConfiguration configuration)
    {
        var registry = configuration.GetSection(RegistryConfiguration.Section);
        var htpasswd = registry.GetSection("auth:htpasswd");
        var htpasswdPath = NonEmpty(htpasswd["path"]);
        if (htpasswd.GetChildren().Any() && htpasswdPath is null)
            throw new InvalidDataException("auth.htpasswd.path: the path of the htpasswd file is required");
        if (htpasswdPath is not null && !File.Exists(htpasswdPath))
            throw new InvalidDataException($"auth.htpasswd.path: {htpasswdPath} does not exist (create it with: htpasswd -Bbc {htpasswdPath} USER PASSWORD)");

        var auth = configuration.GetSection("Wharf:Auth");
        // distribution's config.yml has no "off" switch; "auth: none" (REGISTRY_AUTH=none) is accepted as one.
        var modeText = auth["Mode"] ?? (string.Equals(registry["auth"], "none", StringComparison.OrdinalIgnoreCase) ? "none" : null);
        var mode = modeText?.Trim().ToLowerInvariant() switch
        {
            null or "" or "token" => RegistryAuthMode.Token,
            "basic" => RegistryAuthMode.Basic,
            "none" or "off" => RegistryAuthMode.None,
            var other => throw new InvalidDataException($"Wharf:Auth:Mode '{other}' is not one of token, basic, none"),
        };
        if (htpasswdPath is not null)
        {
            if (modeText is not null)
                throw new InvalidDataException($"auth.htpasswd and Wharf:Auth:Mode={modeText} both choose how registry clients authenticate; keep one");
            mode = RegistryAuthMode.Htpasswd;
        }
        var external = ExternalTokenSettings.Bind(configuration);
        if (external is not null)
        {
            if (htpasswdPath is not null)
                throw new InvalidDataException("auth.htpasswd and auth.token both choose how registry clients authenticate; keep one");
            if (modeText is not null)
                throw new InvalidDataException($"auth.token and Wharf:Auth:Mode={modeText} both choose how registry clients authenticate; keep one");
            mode = RegistryAuthMode.ExternalToken;
        }
        var limits = configuration.GetSection("Wharf:RateLimits");
        if (!string.IsNullOrEmpty(limits["TokenRequestsPerMinute"])) throw new InvalidDataException(TokenLimitRefusal);
        var forwarded = configuration.GetSection("Wharf:ForwardedHeaders");
        var realm = NonEmpty(auth["Realm"]);
        if (realm is not null && !(Uri.TryCreate(realm, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            throw new InvalidDataException($"Wharf:Auth:Realm '{realm}' is not an absolute http(s) URL");
        return new AccessSettings
        {
            Mode = mode,
            HtpasswdPath = htpasswdPath,
            HtpasswdRealm = NonEmpty(htpasswd["realm"]) ?? "Registry Realm",
            ExternalToken = external,
            Service = external?.Service ?? NonEmpty(auth["Service"]) ?? "wharf",
            Issuer = external?.Issuer ?? NonEmpty(auth["Issuer"]) ?? "wharf",
            Realm = external is null ? realm : external.AutoRedirect ? null : external.Realm,
            TokenLifetime = Duration(auth["TokenLifetime"], "Wharf:Auth:TokenLifetime") ?? TimeSpan.FromMinutes(5),
            RefreshTokenLifetime = Duration(auth["RefreshTokenLifetime"], "Wharf:Auth:RefreshTokenLifetime") ?? TimeSpan.FromDays(90),
            SignInsPerMinute = Count(limits["SignInsPerMinute"], "Wharf:RateLimits:SignInsPerMinute") ?? 10,
            FailuresBeforeBackoff = Count(limits["FailuresBeforeBackoff"], "Wharf:RateLimits:FailuresBeforeBackoff") ?? 5,
            AddressFailuresBeforeBackoff = Count(limits["AddressFailuresBeforeBackoff"], "Wharf:RateLimits:AddressFailuresBeforeBackoff") ?? 30,
            KnownProxies = List(forwarded, "KnownProxies").Select(p => IPAddress.TryParse(p, out var a) ? a
                : throw new InvalidDataException($"Wharf:ForwardedHeaders:KnownProxies: '{p}' is not an IP address")).ToList(),
            KnownNetworks = List(forwarded, "KnownNetworks").Select(n => System.Net.IPNetwork.TryParse(n, out var net) ? net
                : throw new InvalidDataException($"Wharf:ForwardedHeaders:KnownNetworks: '{n}' is not a network such as 10.0.0.0/8")).ToList(),
        };
    }

    /// <summary>A list setting, as an array (<c>KnownProxies:0</c>, …) or one comma-separated value.</summary>
    private static IEnumerable<string> List(IConfigurationSection section, string key)
    {
        var values = section.GetSection(key).GetChildren().Select(c => c.Value).Append(section[key]);
        return values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static TimeSpan? Duration(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return GoDuration.TryParse(value, out var d) && d > TimeSpan.Zero ? d : throw new InvalidDataException($"{key}: '{value}' is not a positive duration (e.g. 5m, 00:05:00)");
    }

    private static int? Count(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n > 0 ? n : throw new InvalidDataException($"{key}: '{value}' is not a positive whole number");
    }
}
