using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A Docker token service on loopback, for distribution's <c>auth: token</c>: <c>GET /token?service=&amp;scope=</c>
/// with Basic credentials answers <c>{"token","access_token","expires_in"}</c>, the token an ES256 JWT whose
/// <c>x5c</c> header carries the signing certificate: self-signed and its own <c>rootcertbundle</c>, or issued by
/// a CA made with openssl that is the bundle.
/// Every request is recorded, so tests can see that tokens are reused rather than fetched per request.
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "wharf-test-registry";
    public const string Issuer = "wharf-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly ECDsa _key;
    private readonly string[] _chain;
    private readonly Func<string, string, string?> _grant;
    private readonly string _user;
    private readonly string _password;
    private readonly Task _loop;

    /// <summary>One token request: the user (null when anonymous), the scopes asked for, and whether it was granted.</summary>
    public sealed record TokenRequest(string? User, IReadOnlyList<string> Scopes, bool Granted);

    public ConcurrentQueue<TokenRequest> Requests { get; } = new();

    /// <summary>What <c>expires_in</c> says; short, so tests can see a token renewed.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);

    public int Port { get; }
    /// <summary>Where clients are sent for tokens: this server, or a front that shares the registry's origin.</summary>
    public string Realm => PublicRealm ?? $"http://127.0.0.1:{Port}/token";

    /// <summary>The realm as published through a front (<see cref="SameOriginFront"/>); null for this server itself.</summary>
    public string? PublicRealm { get; set; }
    public string CertificateBundle { get; }

    private TokenServer(string user, string password, ECDsa key, string[] chain, string bundle, Func<string, string, string?>? grant)
    {
        _user = user;
        _password = password;
        _key = key;
        _chain = chain;
        _grant = grant ?? ((_, scope) => scope);
        CertificateBundle = bundle;
        Port = Ports.Free();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>A self-signed signing certificate that is its own bundle; the user gets every scope it asks for.</summary>
    public static TokenServer Start(string directory, string user, string password)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Wharf test token issuer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var bundle = Path.Combine(directory, "token-ca.pem");
        File.WriteAllText(bundle, certificate.ExportCertificatePem() + "\n");
        return new TokenServer(user, password, key, [Convert.ToBase64String(certificate.RawData)], bundle, null);
    }

    /// <summary>
    /// A CA and a signing certificate it issued, both made with openssl as an operator would; the bundle is the CA
    /// alone and tokens carry the signing certificate in <c>x5c</c>. <paramref name="grant"/> decides, per user and
    /// requested scope, what the token grants (a scope string, or null for nothing).
    /// </summary>
    public static async Task<TokenServer> StartWithOpenSslCaAsync(string directory, string user, string password, Func<string, string, string?> grant)
    {
        ExternalTool.Require("openssl");
        Directory.CreateDirectory(directory);
        string F(string name) => Path.Combine(directory, name);
        async Task Openssl(params string[] arguments)
        {
            var result = await ExternalTool.RunAsync("openssl", arguments);
            if (result.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', arguments)}: {result.All}");
        }
        await Openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", F("token-ca.key"));
        await Openssl("req", "-x509", "-new", "-key", F("token-ca.key"), "-subj", "/CN=Wharf test token CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", F("token-ca.pem"));
        await Openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", F("token-signer.key"));
        await Openssl("req", "-new", "-key", F("token-signer.key"), "-subj", "/CN=Wharf test token signer", "-out", F("token-signer.csr"));
        await File.WriteAllTextAsync(F("token-signer.ext"), "keyUsage=critical,digitalSignature\n");
        await Openssl("x509", "-req", "-in", F("token-signer.csr"), "-CA", F("token-ca.pem"), "-CAkey", F("token-ca.key"), "-CAcreateserial",
            "-days", "1", "-extfile", F("token-signer.ext"), "-out", F("token-signer.pem"));
        var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(F("token-signer.key")));
        using var signer = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(F("token-signer.pem")));
        return new TokenServer(user, password, key, [Convert.ToBase64String(signer.RawData)], F("token-ca.pem"), grant);
    }

    /// <summary>The <c>auth</c> section that puts a distribution registry behind this token service.</summary>
    public string RegistryAuthYaml => $"""
        auth:
          token:
            realm: {Realm}
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {CertificateBundle}
        """;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var query = context.Request.QueryString;
        var scopes = (query.GetValues("scope") ?? []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var user = Authenticate(context.Request.Headers["Authorization"], out var rejected);
        if (rejected || context.Request.Url?.AbsolutePath != "/token" || query["service"] != Service)
        {
            Requests.Enqueue(new TokenRequest(user, scopes, false));
            context.Response.StatusCode = 401;
            Write(context, """{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials or service"}]}""");
            return;
        }
        Requests.Enqueue(new TokenRequest(user, scopes, true));
        // The registered user gets what the grant allows of each scope; anonymous callers get nothing (the registry then refuses them).
        List<object> access = user is null ? [] : scopes.Select(s => _grant(user, s)).OfType<string>().Select(Access).OfType<object>().ToList();
        var token = Sign(user ?? "", access);
        Write(context, JsonSerializer.Serialize(new
        {
            token,
            access_token = token,
            expires_in = (int)Lifetime.TotalSeconds,
            issued_at = DateTime.UtcNow.ToString("O"),
        }));
    }

    private string? Authenticate(string? header, out bool rejected)
    {
        rejected = false;
        if (string.IsNullOrEmpty(header)) return null;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            rejected = true;
            return null;
        }
        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        var colon = pair.IndexOf(':');
        var user = colon < 0 ? pair : pair[..colon];
        rejected = colon < 0 || user != _user || pair[(colon + 1)..] != _password;
        return user;
    }

    /// <summary><c>repository:library/alpine:pull,push</c> → the JWT's access entry.</summary>
    private static object? Access(string scope)
    {
        var first = scope.IndexOf(':');
        var last = scope.LastIndexOf(':');
        if (first < 0 || last <= first) return null;
        return new { type = scope[..first], name = scope[(first + 1)..last], actions = scope[(last + 1)..].Split(',') };
    }

    private string Sign(string subject, IReadOnlyList<object> access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { typ = "JWT", alg = "ES256", x5c = _chain }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = Issuer,
            sub = subject,
            aud = Service,
            exp = now + (long)Lifetime.TotalSeconds,
            nbf = now - 10,
            iat = now,
            jti = Guid.NewGuid().ToString("N"),
            access,
        }));
        // JWS wants ECDSA signatures as r||s, which is .NET's default (IEEE P1363) format.
        var signature = _key.SignData(Encoding.ASCII.GetBytes($"{header}.{claims}"), HashAlgorithmName.SHA256);
        return $"{header}.{claims}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Write(HttpListenerContext context, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        _key.Dispose();
    }
}
