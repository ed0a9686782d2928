using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wharf.Registry.Auth;

namespace Wharf.Portal.Access;

/// <summary>What a valid bearer or refresh token says.</summary>
public sealed record TokenClaims(string Subject, string? UserName, long? AccessTokenId, string? SecurityStamp, IReadOnlyList<RegistryScope> Access)
{
    public bool IsAnonymous => Subject.Length == 0;
}

/// <summary>
/// Issues and checks the registry's JWTs, signed with an ECDSA P-256 key (ES256). Wharf's host signs with the
/// deployment's one key from the portal database (<see cref="RegistrySigningKey"/>), so every instance accepts the
/// tokens of every other; a key file is for tools and tests. Bearer tokens carry distribution's <c>access</c> claim (what the caller may do,
/// never more than asked); refresh tokens carry the user's security stamp, so a password change ends them.
/// </summary>
public sealed class RegistryTokens
{
    public const string KeyFileName = "registry-token-key.pem";
    private const string UseClaim = "wharf_use";
    private const string AccessUse = "access";
    private const string RefreshUse = "refresh";

    private readonly AccessSettings _settings;
    private readonly TimeProvider _time;
    private readonly SigningCredentials _signing;
    private readonly TokenValidationParameters _validation;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ValidatedTokens _validated;

    /// <summary>Signs with the key in <paramref name="dataDirectory"/>'s key file, created if missing.</summary>
    public RegistryTokens(AccessSettings settings, string dataDirectory, TimeProvider time)
        : this(settings, LoadOrCreateKey(Path.Combine(dataDirectory, KeyFileName)), time)
    {
    }

    public RegistryTokens(AccessSettings settings, ECDsa signingKey, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _validated = new ValidatedTokens(time);
        var key = new ECDsaSecurityKey(signingKey);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        _signing = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Service,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            RequireExpirationTime = true,
            ValidateLifetime = true,
            LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is { } e && e.ToUniversalTime() > now - parameters.ClockSkew
                    && (notBefore is null || notBefore.Value.ToUniversalTime() <= now + parameters.ClockSkew);
            },
        };
    }

    /// <summary>The key file, or a new key written with owner-only permissions (a second process racing us wins, and we read its key).</summary>
    private static ECDsa LoadOrCreateKey(string path)
    {
        var ecdsa = ECDsa.Create();
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var pem = created.ExportPkcs8PrivateKeyPem();
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var writer = new StreamWriter(path, options);
                writer.Write(pem);
            }
            catch (IOException) when (File.Exists(path))
            {
            }
            catch (IOException e) when (Wharf.Registry.Storage.StorageFault.Classify(e) == Wharf.Registry.Storage.StorageFaultKind.ReadOnly)
            {
                // A read-only data directory that never held a key: sign with this one, kept in memory. Tokens it
                // signs stop being valid when Wharf restarts, and clients simply ask for new ones.
                ecdsa.ImportFromPem(pem);
                return ecdsa;
            }
        }
        ecdsa.ImportFromPem(File.ReadAllText(path));
        return ecdsa;
    }

    public (string Token, int ExpiresIn, DateTime IssuedAt) IssueAccess(RegistryIdentity? who, IReadOnlyList<RegistryScope> access)
    {
        var claims = new Dictionary<string, object>
        {
            [UseClaim] = AccessUse,
            ["access"] = access.Select(a => new Dictionary<string, object> { ["type"] = a.Type, ["name"] = a.Name, ["actions"] = a.Actions.ToArray() }).ToArray(),
        };
        if (who is not null) claims["name"] = who.UserName;
        if (who?.AccessTokenId is { } id) claims["wharf_pat"] = id;
        return Issue(who?.UserId ?? "", claims, _settings.TokenLifetime);
    }

    public string IssueRefresh(RegistryIdentity who, string securityStamp)
    {
        var claims = new Dictionary<string, object> { [UseClaim] = RefreshUse, ["name"] = who.UserName, ["wharf_stamp"] = securityStamp };
        if (who.AccessTokenId is { } id) claims["wharf_pat"] = id;
        return Issue(who.UserId, claims, _settings.RefreshTokenLifetime).Token;
    }

    private (string Token, int ExpiresIn, DateTime IssuedAt) Issue(string subject, Dictionary<string, object> claims, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        claims["sub"] = subject;
        claims["jti"] = Guid.NewGuid().ToString("N");
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _settings.Issuer,
            Audience = _settings.Service,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = _signing,
        });
        return (token, (int)lifetime.TotalSeconds, now);
    }

    /// <summary>The claims of a valid bearer token; a token seen before is answered from <see cref="ValidatedTokens"/> until it expires.</summary>
    public async Task<TokenClaims?> ValidateAccessAsync(string token)
    {
        if (_validated.Get(token) is { } known) return known;
        var (claims, expires) = await ValidateAsync(token, AccessUse);
        if (claims is not null) _validated.Add(token, claims, expires);
        return claims;
    }

    public async Task<TokenClaims?> ValidateRefreshAsync(string token) => (await ValidateAsync(token, RefreshUse)).Claims;

    private async Task<(TokenClaims? Claims, DateTimeOffset Expires)> ValidateAsync(string token, string use)
    {
        if (token.Length is 0 or > 16 * 1024) return (null, default);
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return (null, default);
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        var root = payload.RootElement;
        if (String(root, UseClaim) != use) return (null, default);
        long? pat = root.TryGetProperty("wharf_pat", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var n) ? n : null;
        var access = new List<RegistryScope>();
        if (root.TryGetProperty("access", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in list.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || String(entry, "type") is not { } type || String(entry, "name") is not { } name) continue;
                var actions = entry.TryGetProperty("actions", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                    : [];
                access.Add(new RegistryScope(type, name, actions));
            }
        }
        // Cached no longer than the token is valid: its expiry exactly, without the validation's clock skew.
        var expires = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc));
        return (new TokenClaims(String(root, "sub") ?? "", String(root, "name"), pat, String(root, "wharf_stamp"), access), expires);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
