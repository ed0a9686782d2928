using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wharf.Portal.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>A CA, a signing certificate it issued, and tokens signed as a distribution token server signs them.</summary>
public sealed class TokenSigner : IDisposable
{
    public const string Issuer = "test-token-server";
    public const string Service = "test-registry";

    public TokenSigner()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test Token CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        SigningKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=Test Token Signer", SigningKey, HashAlgorithmName.SHA256);
        Leaf = leafRequest.Create(Ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);
    }

    public X509Certificate2 Ca { get; }
    public X509Certificate2 Leaf { get; }
    public ECDsa SigningKey { get; }

    public string BundlePem => Ca.ExportCertificatePem();

    /// <summary>A token with the given claims; <paramref name="header"/> is "x5c" (the chain), "kid" (the signing key's libtrust id) or "none".</summary>
    public string Token(string access = "repository:team/app:pull,push", string issuer = Issuer, string audience = Service,
        TimeSpan? expiresIn = null, string header = "x5c", ECDsa? key = null, X509Certificate2? leaf = null)
    {
        var now = DateTime.UtcNow;
        var headers = new Dictionary<string, object>();
        var signingKey = new ECDsaSecurityKey(key ?? SigningKey);
        if (header == "x5c") headers["x5c"] = new[] { Convert.ToBase64String((leaf ?? Leaf).RawData) };
        if (header == "kid") signingKey.KeyId = ExternalTokenVerifier.LibtrustKeyId((key ?? SigningKey).ExportSubjectPublicKeyInfo());
        if (header == "jwk")
        {
            var p = (key ?? SigningKey).ExportParameters(false);
            headers["jwk"] = new Dictionary<string, object>
            {
                ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
            };
        }
        var scopes = access.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s =>
        {
            var parts = s.Split(':');
            return new Dictionary<string, object> { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = parts[2].Split(',') };
        }).ToArray();
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (expiresIn ?? TimeSpan.FromMinutes(5)),
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["access"] = scopes },
            AdditionalHeaderClaims = headers,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    public void Dispose()
    {
        Ca.Dispose();
        Leaf.Dispose();
        SigningKey.Dispose();
    }
}

public sealed class ExternalTokenTests : IDisposable
{
    private readonly TokenSigner _signer = new();
    private readonly string _bundle = Path.Combine(Path.GetTempPath(), "wharf-token-bundle-" + Guid.NewGuid().ToString("N") + ".pem");

    public ExternalTokenTests() => File.WriteAllText(_bundle, _signer.BundlePem);

    private ExternalTokenVerifier Verifier()
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(_bundle);
        return new ExternalTokenVerifier(new ExternalTokenSettings
        {
            Realm = "https://auth.example.com/token",
            Service = TokenSigner.Service,
            Issuer = TokenSigner.Issuer,
            RootCertificates = certificates,
        }, TimeProvider.System);
    }

    [Fact]
    public async Task A_token_signed_by_a_certificate_of_the_bundle_is_accepted_with_its_access()
    {
        var check = await Verifier().VerifyAsync(_signer.Token());
        Assert.Null(check.Failure);
        Assert.Equal("alice", check.Claims!.Subject);
        var scope = Assert.Single(check.Claims.Access);
        Assert.Equal(("repository", "team/app"), (scope.Type, scope.Name));
        Assert.Equal(["pull", "push"], scope.Actions);
    }

    [Fact]
    public async Task A_kid_naming_a_bundle_key_is_accepted()
    {
        // Signed by the CA's own key, named by its libtrust id (distribution's kid form), without a chain.
        var caKey = _signer.Ca.GetECDsaPrivateKey()!;
        var check = await Verifier().VerifyAsync(_signer.Token(header: "kid", key: caKey));
        Assert.Null(check.Failure);
    }

    [Fact]
    public async Task A_jwk_header_with_a_bundle_key_is_accepted_and_one_with_a_stranger_key_refused()
    {
        var caKey = _signer.Ca.GetECDsaPrivateKey()!;
        Assert.Null((await Verifier().VerifyAsync(_signer.Token(header: "jwk", key: caKey))).Failure);
        // The signing certificate's key is not a bundle key itself (only its CA is): a bare jwk of it proves nothing.
        Assert.Contains("not a key of auth.token.rootcertbundle", (await Verifier().VerifyAsync(_signer.Token(header: "jwk"))).Failure);
    }

    [Fact]
    public void The_libtrust_key_id_has_twelve_groups_of_four_base32_characters()
    {
        var id = ExternalTokenVerifier.LibtrustKeyId(_signer.Ca.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Matches("^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$", id);
    }

    [Theory]
    [InlineData("issuer", "untrusted issuer")]
    [InlineData("audience", "another audience")]
    [InlineData("expired", "expired")]
    [InlineData("unknown-signer", "does not lead to auth.token.rootcertbundle")]
    [InlineData("unknown-kid", "untrusted key")]
    [InlineData("no-key", "names no signing key")]
    [InlineData("wrong-key-for-chain", "signature does not verify")]
    public async Task Bad_tokens_are_refused_with_the_reason(string what, string reason)
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var strangerCertificate = new CertificateRequest("CN=Stranger", stranger, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var token = what switch
        {
            "issuer" => _signer.Token(issuer: "someone-else"),
            "audience" => _signer.Token(audience: "another-registry"),
            // Beyond distribution's 60 s leeway.
            "expired" => _signer.Token(expiresIn: TimeSpan.FromSeconds(-90)),
            "unknown-signer" => _signer.Token(key: stranger, leaf: strangerCertificate),
            "unknown-kid" => _signer.Token(header: "kid", key: stranger),
            "no-key" => _signer.Token(header: "none"),
            "wrong-key-for-chain" => _signer.Token(key: stranger),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var check = await Verifier().VerifyAsync(token);
        Assert.Null(check.Claims);
        Assert.Contains(reason, check.Failure);
    }

    [Fact]
    public async Task A_token_within_the_leeway_after_expiry_is_still_accepted()
    {
        var check = await Verifier().VerifyAsync(_signer.Token(expiresIn: TimeSpan.FromSeconds(-30)));
        Assert.Null(check.Failure);
    }

    [Fact]
    public async Task The_registry_challenges_with_the_external_realm_and_allows_only_the_access_claim()
    {
        await using var wharf = new RegistryTestHost
        {
            AuthMode = "",
            Settings =
            [
                "--registry:auth:token:realm=https://auth.example.com/token",
                "--registry:auth:token:service=" + TokenSigner.Service,
                "--registry:auth:token:issuer=" + TokenSigner.Issuer,
                "--registry:auth:token:rootcertbundle=" + _bundle,
            ],
        };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();

        using (var anonymous = await client.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal($"Bearer realm=\"https://auth.example.com/token\",service=\"{TokenSigner.Service}\"", anonymous.Headers.WwwAuthenticate.ToString());
        }
        // Wharf's own token endpoint is off: the token server decides.
        using (var own = await client.GetAsync("/v2/auth/token?service=wharf")) Assert.NotEqual(HttpStatusCode.OK, own.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _signer.Token("repository:team/app:pull,push"));
        using (var root = await client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        var digest = await client.PushImageAsync("team/app", "1.0", TestContent.Image("external-token"));
        using (var pull = await client.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);

        // Outside the access claim: another repository, the catalog, a delete.
        using (var other = await client.GetAsync("/v2/team/other/tags/list"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", other.Headers.WwwAuthenticate.ToString());
            Assert.Contains("scope=\"repository:team/other:pull\"", other.Headers.WwwAuthenticate.ToString());
        }
        using (var catalog = await client.GetAsync("/v2/_catalog")) Assert.Equal(HttpStatusCode.Unauthorized, catalog.StatusCode);

        // Pull only: a push is refused, a pull allowed.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _signer.Token("repository:team/app:pull"));
        using (var pullOnly = await client.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pullOnly.StatusCode);
        using (var upload = await client.PostAsync("/v2/team/app/blobs/uploads/", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, upload.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", upload.Headers.WwwAuthenticate.ToString());
        }

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _signer.Token(issuer: "someone-else"));
        using (var forged = await client.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
            Assert.Contains("error=\"invalid_token\"", forged.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Autoredirect_makes_the_realm_auth_token_on_the_host_the_client_used()
    {
        await using var wharf = new RegistryTestHost
        {
            AuthMode = "",
            Settings =
            [
                "--registry:auth:token:realm=https://auth.example.com/token",
                "--registry:auth:token:service=" + TokenSigner.Service,
                "--registry:auth:token:issuer=" + TokenSigner.Issuer,
                "--registry:auth:token:rootcertbundle=" + _bundle,
                "--registry:auth:token:autoredirect=true",
            ],
        };
        await wharf.InitializeAsync();
        using var response = await wharf.CreateClient().GetAsync("/v2/");
        Assert.Equal($"Bearer realm=\"http://localhost/auth/token\",service=\"{TokenSigner.Service}\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("realm")]
    [InlineData("service")]
    [InlineData("issuer")]
    [InlineData("rootcertbundle")]
    public async Task A_missing_key_of_auth_token_refuses_to_start(string missing)
    {
        var settings = new Dictionary<string, string>
        {
            ["realm"] = "https://auth.example.com/token", ["service"] = "s", ["issuer"] = "i", ["rootcertbundle"] = _bundle,
        };
        settings.Remove(missing);
        await using var wharf = new RegistryTestHost { AuthMode = "", Settings = settings.Select(s => $"--registry:auth:token:{s.Key}={s.Value}").ToArray() };
        var error = await Assert.ThrowsAnyAsync<Exception>(wharf.InitializeAsync);
        Assert.Contains($"auth.token.{missing} is required", error.ToString());
    }

    public void Dispose()
    {
        _signer.Dispose();
        File.Delete(_bundle);
    }
}
