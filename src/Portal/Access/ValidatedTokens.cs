using System.Collections.Concurrent;

namespace Wharf.Portal.Access;

/// <summary>
/// Bearer tokens whose signature and claims were checked, so that a pull's many requests with one token (every
/// manifest and blob request, and every pod start that asks for a manifest) do not verify its ES256 signature and
/// parse it each time. Keyed on the token itself (it is only ever compared, never logged); an entry lives until the
/// token's own expiry and no longer. Bounded: when full, expired entries go, and if that frees nothing the cache
/// starts again empty (a burst of distinct tokens then costs one verification each, as without the cache).
/// Bearer tokens are stateless (a revoked access token or disabled user still holds a valid bearer token until it
/// expires, minutes later), so caching them changes nothing that a check could have caught.
/// </summary>
public sealed class ValidatedTokens(TimeProvider time, int capacity = ValidatedTokens.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, (TokenClaims Claims, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public TokenClaims? Get(string token)
    {
        if (!_entries.TryGetValue(token, out var entry)) return null;
        if (time.GetUtcNow() < entry.Expires) return entry.Claims;
        _entries.TryRemove(token, out _);
        return null;
    }

    public void Add(string token, TokenClaims claims, DateTimeOffset expires)
    {
        var now = time.GetUtcNow();
        if (expires <= now) return;
        if (_entries.Count >= capacity)
        {
            foreach (var (key, entry) in _entries)
                if (entry.Expires <= now) _entries.TryRemove(key, out _);
            if (_entries.Count >= capacity) _entries.Clear();
        }
        _entries[token] = (claims, expires);
    }
}
