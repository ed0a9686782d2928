using System.Net.Security;
using System.Security.Authentication;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Hosting;

/// <summary>
/// distribution's <c>http</c> section beyond the listen address and certificate (which <see cref="RegistryOptions"/>
/// holds): prefix, host, relative URLs, headers, HTTP/2, TLS policy, the debug server. Read once at start; a value
/// Wharf cannot honour fails the start with the key's name.
/// </summary>
public sealed class HttpSettings
{
    /// <summary>http.prefix without its trailing slash ("/my/registry"), or "" at the root.</summary>
    public string Prefix { get; init; } = "";
    /// <summary>http.host: the outside URL every generated URL (Location, token realm) is built on, never the request's Host.</summary>
    public Uri? Host { get; init; }
    /// <summary>
    /// http.relativeurls. Wharf's default is true (distribution's is false): a path is right behind any front, while an
    /// absolute URL built from the request is wrong behind a TLS front whose forwarded headers are not trusted.
    /// </summary>
    public bool RelativeUrls { get; init; } = true;
    public IReadOnlyDictionary<string, string[]> Headers { get; init; } = new Dictionary<string, string[]>();
    public bool Http2Disabled { get; init; }
    public SslProtocols MinimumTls { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;
    public IReadOnlyList<string> ClientCas { get; init; } = [];
    public IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; } = [];
    /// <summary>http.net: "tcp", or "unix" (http.addr is then a socket path).</summary>
    public bool UnixSocket { get; init; }
    public TimeSpan? DrainTimeout { get; init; }
    public string? DebugAddress { get; init; }
    public bool PrometheusEnabled { get; init; }
    public string PrometheusPath { get; init; } = "/metrics";

    /// <exception cref="InvalidDataException">A value is malformed or asks for something Wharf cannot do.</exception>
    public static HttpSettings Bind(IConfiguration configuration)
    {
        var http = configuration.GetSection(RegistryConfiguration.Section).GetSection("http");
        var prefix = NonEmpty(http["prefix"]);
        if (prefix is not null && !prefix.StartsWith('/'))
            throw new InvalidDataException($"http.prefix '{prefix}' must start with '/' (for example /my/registry/)");
        Uri? host = null;
        if (NonEmpty(http["host"]) is { } hostText
            && !(Uri.TryCreate(hostText, UriKind.Absolute, out host) && host.Scheme is "http" or "https" && host.AbsolutePath == "/" && host.Query.Length == 0))
            throw new InvalidDataException($"http.host '{hostText}' is not a URL such as https://registry.example.com:5000");
        var net = NonEmpty(http["net"])?.ToLowerInvariant() ?? "tcp";
        if (net is not ("tcp" or "unix"))
            throw new InvalidDataException($"http.net '{net}' is not tcp or unix");

        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in http.GetSection("headers").GetChildren())
        {
            // Values are lists in distribution's file (X-Content-Type-Options: [nosniff]); a plain string is accepted too.
            var values = header.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
            headers[header.Key] = values.Length > 0 ? values : header.Value is { } single ? [single] : [];
        }

        var prometheus = http.GetSection("debug:prometheus");
        var path = NonEmpty(prometheus["path"]) ?? "/metrics";
        if (!path.StartsWith('/')) throw new InvalidDataException($"http.debug.prometheus.path '{path}' must start with '/'");
        return new HttpSettings
        {
            Prefix = prefix?.TrimEnd('/') ?? "",
            Host = host,
            RelativeUrls = Bool(http["relativeurls"], "http.relativeurls") ?? true,
            Headers = headers,
            Http2Disabled = Bool(http["http2:disabled"], "http.http2.disabled") ?? false,
            MinimumTls = MinimumTlsFrom(NonEmpty(http["tls:minimumtls"])),
            ClientCas = http.GetSection("tls:clientcas").GetChildren().Select(c => c.Value).OfType<string>()
                .Append(http["tls:clientcas"]).OfType<string>().Where(p => p.Length > 0).ToList(),
            CipherSuites = http.GetSection("tls:ciphersuites").GetChildren().Select(c => CipherSuite(c.Value)).ToList(),
            UnixSocket = net == "unix",
            DrainTimeout = NonEmpty(http["draintimeout"]) is { } drain
                ? GoDuration.TryParse(drain, out var d) ? d : throw new InvalidDataException($"http.draintimeout '{drain}' is not a duration such as 60s")
                : null,
            DebugAddress = NonEmpty(http["debug:addr"]),
            PrometheusEnabled = Bool(prometheus["enabled"], "http.debug.prometheus.enabled") ?? false,
            PrometheusPath = path,
        };
    }

    /// <summary>The TLS versions from http.tls.minimumtls up; TLS 1.0 and 1.1 are refused (obsolete and disabled in .NET's defaults).</summary>
    private static SslProtocols MinimumTlsFrom(string? value) => value?.ToLowerInvariant() switch
    {
        null or "tls1.2" => SslProtocols.Tls12 | SslProtocols.Tls13,
        "tls1.3" => SslProtocols.Tls13,
        "tls1.0" or "tls1.1" => throw new InvalidDataException(
            $"http.tls.minimumtls {value}: TLS 1.0 and 1.1 are obsolete and not offered by Wharf; use tls1.2 (the default) or tls1.3"),
        _ => throw new InvalidDataException($"http.tls.minimumtls '{value}' is not one of tls1.2, tls1.3"),
    };

    /// <summary>Go's names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) are the IANA names, which .NET's enum uses too.</summary>
    private static TlsCipherSuite CipherSuite(string? name) =>
        Enum.TryParse<TlsCipherSuite>(name, ignoreCase: false, out var suite) && !int.TryParse(name, out _)
            ? suite
            : throw new InvalidDataException($"http.tls.ciphersuites: '{name}' is not a TLS cipher suite name");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? Bool(string? value, string key) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new InvalidDataException($"{key}: '{value}' is not true or false"),
    };
}
