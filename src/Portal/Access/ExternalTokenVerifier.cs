using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>A checked external token: its claims, or why it was refused (for the log, never for the client).</summary>
public sealed record ExternalTokenCheck(TokenClaims? Claims, string? Failure)
{
    public static ExternalTokenCheck Refused(string why) => new(null, why);
}

/// <summary>
/// Verifies bearer tokens of an external token server the way distribution's <c>auth.token</c> does: the signing
/// key comes from the header's <c>x5c</c> chain, which must lead to a certificate of the root bundle, or else from
/// its <c>jwk</c> (with a chain of its own, or a bundle key), or else from its <c>kid</c>, which must be the libtrust
/// key id of a bundle certificate's key; then the signature (RS256/384/512
/// or ES256/384/512), <c>iss</c>, <c>aud</c>, <c>exp</c> and <c>nbf</c> (with distribution's 60 s leeway) are checked
/// with Microsoft.IdentityModel. The <c>access</c> claim is returned for the authorizer to match against the request.
/// </summary>
public sealed class ExternalTokenVerifier
{
    /// <summary>distribution's leeway on exp and nbf.</summary>
    public static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);

    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly ExternalTokenSettings _settings;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, X509Certificate2> _trustedKeys;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly ValidatedTokens _validated;

    public ExternalTokenVerifier(ExternalTokenSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _validated = new ValidatedTokens(time);
        _trustedKeys = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        foreach (var certificate in settings.RootCertificates)
            _trustedKeys.TryAdd(LibtrustKeyId(certificate.PublicKey.ExportSubjectPublicKeyInfo()), certificate);
    }

    public async Task<ExternalTokenCheck> VerifyAsync(string token)
    {
        if (_validated.Get(token) is { } known) return new ExternalTokenCheck(known, null);
        if (token.Length is 0 or > 16 * 1024) return ExternalTokenCheck.Refused("malformed token");
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return ExternalTokenCheck.Refused("malformed token");
        }
        var (key, keyFailure) = SigningKey(jwt);
        if (key is null) return ExternalTokenCheck.Refused(keyFailure ?? "token's signing key is neither RSA nor ECDSA");

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _settings.Issuer,
            ValidAudience = _settings.Service,
            IssuerSigningKey = key,
            ValidAlgorithms = Algorithms,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = Leeway,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                if (expires is not { } e || e.ToUniversalTime() + Leeway < now) throw new SecurityTokenExpiredException("token expired");
                if (notBefore is { } nbf && nbf.ToUniversalTime() - Leeway > now) throw new SecurityTokenNotYetValidException("token not valid yet");
                return true;
            },
        });
        if (!result.IsValid)
        {
            return ExternalTokenCheck.Refused(result.Exception switch
            {
                SecurityTokenInvalidIssuerException => $"token from untrusted issuer '{jwt.Issuer}'",
                SecurityTokenInvalidAudienceException => $"token intended for another audience '{string.Join(' ', jwt.Audiences)}'",
                SecurityTokenExpiredException => "token expired",
                SecurityTokenNotYetValidException => "token not valid yet",
                SecurityTokenNoExpirationException => "token has no expiry",
                SecurityTokenInvalidAlgorithmException => $"token signed with an unsupported algorithm '{jwt.Alg}'",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "token signature does not verify",
                _ => "invalid token",
            });
        }

        var claims = new TokenClaims(jwt.Subject ?? "", jwt.Subject, null, null, Access(jwt));
        _validated.Add(token, claims, new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc)));
        return new ExternalTokenCheck(claims, null);
    }

    /// <summary>The key that signed the token, if the bundle vouches for it (distribution's order: x5c, jwk, kid).</summary>
    private (SecurityKey? Key, string? Failure) SigningKey(JsonWebToken jwt)
    {
        if (jwt.TryGetHeaderValue<string[]>("x5c", out var chain) && chain is { Length: > 0 })
            return VerifyChain(chain);
        if (HeaderJwk(jwt) is { } jwk)
            return VerifyJwk(jwk);
        if (jwt.Kid is { Length: > 0 } kid)
            return _trustedKeys.TryGetValue(kid, out var certificate)
                ? (KeyOf(certificate), null)
                : (null, $"token signed by untrusted key with ID '{kid}'");
        return (null, "token names no signing key (x5c, jwk or kid)");
    }

    /// <summary>
    /// A <c>jwk</c> header is trusted as distribution trusts it: with its own <c>x5c</c>, that chain must lead to the
    /// bundle and its leaf hold the same key; without, the key must be one of the bundle's.
    /// </summary>
    private (SecurityKey? Key, string? Failure) VerifyJwk(JsonWebKey jwk)
    {
        byte[] spki;
        try
        {
            spki = SubjectPublicKeyInfo(jwk) ?? throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return (null, "token's jwk is not an RSA or EC public key");
        }
        var id = LibtrustKeyId(spki);
        if (jwk.X5c.Count == 0)
            return _trustedKeys.TryGetValue(id, out var certificate) ? (KeyOf(certificate), null) : (null, "token's jwk is not a key of auth.token.rootcertbundle");
        var (key, failure) = VerifyChain(jwk.X5c.ToArray());
        if (key is null) return (null, failure);
        var leaf = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(jwk.X5c[0]));
        using (leaf)
            return LibtrustKeyId(leaf.PublicKey.ExportSubjectPublicKeyInfo()) == id ? (key, null) : (null, "token's jwk is not the key of its certificate");
    }

    private static JsonWebKey? HeaderJwk(JsonWebToken jwt)
    {
        using var header = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedHeader));
        return header.RootElement.TryGetProperty("jwk", out var jwk) && jwk.ValueKind == JsonValueKind.Object ? new JsonWebKey(jwk.GetRawText()) : null;
    }

    private static byte[]? SubjectPublicKeyInfo(JsonWebKey jwk)
    {
        if (jwk.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve)
        {
            var curve = jwk.Crv switch
            {
                "P-256" => ECCurve.NamedCurves.nistP256,
                "P-384" => ECCurve.NamedCurves.nistP384,
                "P-521" => ECCurve.NamedCurves.nistP521,
                _ => throw new FormatException(),
            };
            using var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk.X), Y = Base64UrlEncoder.DecodeBytes(jwk.Y) } });
            return ec.ExportSubjectPublicKeyInfo();
        }
        if (jwk.Kty == JsonWebAlgorithmsKeyTypes.RSA)
        {
            using var rsa = RSA.Create(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(jwk.N), Exponent = Base64UrlEncoder.DecodeBytes(jwk.E) });
            return rsa.ExportSubjectPublicKeyInfo();
        }
        return null;
    }

    private (SecurityKey? Key, string? Failure) VerifyChain(string[] x5c)
    {
        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var entry in x5c) certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(entry)));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            foreach (var c in certificates) c.Dispose();
            return (null, "token's x5c is not a certificate chain");
        }
        var leaf = certificates[0];
        using var verifier = new X509Chain();
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.CustomTrustStore.AddRange(_settings.RootCertificates);
        verifier.ChainPolicy.ExtraStore.AddRange(certificates.Skip(1).ToArray());
        // Like distribution: no revocation check, any extended key usage.
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verifier.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        verifier.ChainPolicy.VerificationTimeIgnored = false;
        var trusted = verifier.Build(leaf);
        foreach (var c in certificates.Skip(1)) c.Dispose();
        if (!trusted)
        {
            var why = string.Join("; ", verifier.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            leaf.Dispose();
            return (null, $"token's certificate chain does not lead to auth.token.rootcertbundle ({why})");
        }
        var key = KeyOf(leaf);
        leaf.Dispose();
        return (key, null);
    }

    /// <summary>The certificate's public key as IdentityModel's key type for it.</summary>
    private static SecurityKey? KeyOf(X509Certificate2 certificate) =>
        certificate.GetECDsaPublicKey() is { } ecdsa ? new ECDsaSecurityKey(ecdsa)
        : certificate.GetRSAPublicKey() is { } rsa ? new RsaSecurityKey(rsa)
        : null;

    private static List<RegistryScope> Access(JsonWebToken jwt)
    {
        var access = new List<RegistryScope>();
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        if (!payload.RootElement.TryGetProperty("access", out var list) || list.ValueKind != JsonValueKind.Array) return access;
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object) continue;
            if (!entry.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String) continue;
            if (!entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) continue;
            var actions = entry.TryGetProperty("actions", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                : [];
            access.Add(new RegistryScope(type.GetString()!, name.GetString()!, actions));
        }
        return access;
    }

    /// <summary>
    /// libtrust's key id, which distribution's token servers put in <c>kid</c>: the SHA-256 of the DER public key,
    /// its first 240 bits in base32, in twelve groups of four joined by ':'. No library computes this format.
    /// </summary>
    public static string LibtrustKeyId(byte[] subjectPublicKeyInfo)
    {
        var hash = SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 30);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var base32 = new StringBuilder(48);
        for (var i = 0; i < hash.Length; i += 5)
        {
            ulong block = 0;
            for (var j = 0; j < 5; j++) block = (block << 8) | hash[i + j];
            for (var shift = 35; shift >= 0; shift -= 5) base32.Append(alphabet[(int)((block >> shift) & 31)]);
        }
        var groups = Enumerable.Range(0, 12).Select(g => base32.ToString(g * 4, 4));
        return string.Join(':', groups);
    }
}
