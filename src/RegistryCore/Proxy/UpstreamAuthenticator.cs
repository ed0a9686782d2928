using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wharf.Registry.Proxy;

/// <summary>
/// How Wharf authenticates to one upstream: nothing until the upstream challenges, then Basic, or Docker's token flow
/// (ask the challenge's realm for a token for the service and scope, with the configured credentials if any, and
/// keep it until it expires). Once the scheme is known it is sent up front, so later requests take one round trip.
/// </summary>
public sealed class UpstreamAuthenticator(UpstreamDefinition upstream, HttpClient http, TimeProvider clock)
{
    /// <summary>Tokens are renewed this much before they expire, so a request never goes out with a dying one.</summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    /// <summary>What the token spec says to assume when the token response has no expires_in.</summary>
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private readonly SingleFlight<string, CachedToken> _tokenRequests = new();
    private volatile AuthChallenge? _challenge;

    private sealed record CachedToken(string Value, DateTimeOffset RenewAt);

    /// <summary>The header to send for a request in <paramref name="scope"/>, or null while no challenge was seen.</summary>
    public async ValueTask<AuthenticationHeaderValue?> HeaderAsync(string? scope, CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        if (challenge is null) return null;
        if (challenge.IsBasic) return BasicHeader();
        var key = scope ?? "";
        if (_tokens.TryGetValue(key, out var token) && token.RenewAt > clock.GetUtcNow()) return Bearer(token);
        return Bearer(await RequestTokenAsync(challenge, key, scope, cancellationToken));
    }

    /// <summary>
    /// Handles a 401: learns the challenge and prepares what the retry should send.
    /// </summary>
    /// <returns>Whether a retry can succeed (false when there is nothing new to try).</returns>
    public async Task<bool> OnChallengeAsync(AuthChallenge? challenge, string? scope, AuthenticationHeaderValue? sent, CancellationToken cancellationToken)
    {
        if (challenge is null) return false;
        if (challenge.IsBasic)
        {
            // Basic with the same credentials again cannot succeed; without credentials there is nothing to send.
            if (!upstream.HasCredentials || sent?.Scheme == "Basic") return false;
            _challenge = challenge;
            return true;
        }
        if (!challenge.IsBearer || string.IsNullOrEmpty(challenge.Realm)) return false;
        _challenge = challenge;
        var key = scope ?? "";
        // A token that was refused (expired early, revoked, or too narrow): drop it and ask again, for the scope the
        // upstream names if it names one.
        _tokens.TryRemove(key, out _);
        await RequestTokenAsync(challenge, key, challenge.Scope ?? scope, cancellationToken);
        return true;
    }

    private AuthenticationHeaderValue BasicHeader() =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{upstream.Username}:{upstream.Password}")));

    private static AuthenticationHeaderValue Bearer(CachedToken token) => new("Bearer", token.Value);

    private Task<CachedToken> RequestTokenAsync(AuthChallenge challenge, string key, string? scope, CancellationToken cancellationToken) =>
        _tokenRequests.RunAsync(key, async ct =>
        {
            var token = await FetchTokenAsync(challenge, scope, ct);
            _tokens[key] = token;
            return token;
        }, cancellationToken);

    private async Task<CachedToken> FetchTokenAsync(AuthChallenge challenge, string? scope, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
            throw new UpstreamException(UpstreamFailure.Invalid, $"upstream '{upstream.Name}' named an unusable token realm '{challenge.Realm}'");
        var query = new List<string>();
        if (!string.IsNullOrEmpty(challenge.Service)) query.Add("service=" + Uri.EscapeDataString(challenge.Service));
        if (!string.IsNullOrEmpty(scope)) query.Add("scope=" + Uri.EscapeDataString(scope));
        var builder = new UriBuilder(realm);
        builder.Query = string.Join('&', new[] { builder.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query));

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (upstream.HasCredentials && MayReceiveCredentials(realm)) request.Headers.Authorization = BasicHeader();
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            response = await http.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(UpstreamFailure.Unavailable,
                $"upstream '{upstream.Name}': its token service {realm.GetLeftPart(UriPartial.Path)} is unreachable: {e.Message}", e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new UpstreamException(UpstreamFailure.Unauthorized, upstream.HasCredentials
                    ? $"upstream '{upstream.Name}' ({upstream.Url.GetLeftPart(UriPartial.Authority)}) rejected the credentials configured for user '{upstream.Username}': its token service answered {(int)response.StatusCode}"
                    : $"upstream '{upstream.Name}' ({upstream.Url.GetLeftPart(UriPartial.Authority)}) requires credentials and none are configured: its token service answered {(int)response.StatusCode}");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamException((int)response.StatusCode >= 500 ? UpstreamFailure.Unavailable : UpstreamFailure.Invalid,
                    $"upstream '{upstream.Name}': its token service answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return ParseToken(body, clock.GetUtcNow());
        }
    }

    /// <summary>
    /// The realm gets the password only over HTTPS, or at the upstream's own origin (scheme, host and port): an
    /// upstream must not be able to send Wharf's credentials in clear to another address, not even another port of
    /// its own host.
    /// </summary>
    private bool MayReceiveCredentials(Uri realm) =>
        realm.Scheme == Uri.UriSchemeHttps || UpstreamOrigin.Same(realm, upstream.Url);

    private CachedToken ParseToken(byte[] body, DateTimeOffset now)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var value = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            if (string.IsNullOrEmpty(value)) throw new JsonException("no token in the response");
            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds) : DefaultTokenLifetime;
            // Counted from when it arrived rather than from issued_at, so a skewed upstream clock cannot age it.
            var margin = lifetime > 2 * ExpiryMargin ? ExpiryMargin : lifetime / 4;
            return new CachedToken(value, now + lifetime - margin);
        }
        catch (JsonException e)
        {
            throw new UpstreamException(UpstreamFailure.Invalid, $"upstream '{upstream.Name}': its token service sent an unusable answer ({e.Message})", e);
        }
    }
}
