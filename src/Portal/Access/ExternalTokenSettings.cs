using System.Security.Cryptography.X509Certificates;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Access;

/// <summary>
/// distribution's <c>auth.token</c>: an external token server issues the bearer tokens. Wharf challenges clients
/// with its <see cref="Realm"/> and <see cref="Service"/>, and accepts tokens issued by <see cref="Issuer"/> for
/// that service, signed by a key whose certificate chain leads to a certificate of <see cref="RootCertificates"/>
/// (or whose key id names one of their keys).
/// </summary>
public sealed class ExternalTokenSettings
{
    public required string Realm { get; init; }
    public required string Service { get; init; }
    public required string Issuer { get; init; }
    public required X509Certificate2Collection RootCertificates { get; init; }
    /// <summary>distribution 3's <c>autoredirect</c>: the realm is <c>/auth/token</c> on the host the client used.</summary>
    public bool AutoRedirect { get; init; }

    /// <summary>The section, or null when <c>auth.token</c> is not configured.</summary>
    /// <exception cref="InvalidDataException">A key is missing or the bundle cannot be read.</exception>
    public static ExternalTokenSettings? Bind(IConfiguration configuration)
    {
        var token = configuration.GetSection(RegistryConfiguration.Section).GetSection("auth:token");
        if (!token.GetChildren().Any()) return null;
        // distribution refuses to start without any of these four, and so does Wharf.
        var realm = Required(token, "realm");
        if (!(Uri.TryCreate(realm, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            throw new InvalidDataException($"auth.token.realm: '{realm}' is not an absolute http(s) URL");
        var bundle = Required(token, "rootcertbundle");
        return new ExternalTokenSettings
        {
            Realm = realm,
            Service = Required(token, "service"),
            Issuer = Required(token, "issuer"),
            RootCertificates = LoadBundle(bundle),
            AutoRedirect = token["autoredirect"]?.Trim().ToLowerInvariant() switch
            {
                null or "" or "false" => false,
                "true" => true,
                var other => throw new InvalidDataException($"auth.token.autoredirect: '{other}' is not true or false"),
            },
        };
    }

    private static string Required(IConfigurationSection token, string key) =>
        token[key] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw new InvalidDataException($"auth.token.{key} is required when auth.token is configured (realm, service, issuer and rootcertbundle, as for distribution)");

    private static X509Certificate2Collection LoadBundle(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"auth.token.rootcertbundle: {path} does not exist");
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidDataException($"auth.token.rootcertbundle: {path} is not a PEM certificate bundle: {e.Message}");
        }
        if (certificates.Count == 0) throw new InvalidDataException($"auth.token.rootcertbundle: {path} holds no PEM certificate");
        return certificates;
    }
}
