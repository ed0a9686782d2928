using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Wharf.Portal.Access;

/// <summary>A credential check that succeeded: who it was, and the user's security stamp when the secret was checked.</summary>
public sealed record VerifiedCredential(RegistryIdentity Identity, string? SecurityStamp);

/// <summary>
/// Credentials (user name with password or access token) checked in the last minute, so that neither the token
/// endpoint (a <c>docker login</c>, then a token request per repository of every pull) nor basic mode (every /v2
/// request) runs the slow password hash each time. Keyed by an HMAC of user and secret under a key that lives only in
/// this process: the cache holds no secret and cannot be probed for one. A hit is only a hint: the caller re-checks
/// the user and token against the database (<see cref="RegistryCredentials.RecheckAsync"/>), so a password change,
/// a disabled or deleted user or a revoked token take effect at once, on every instance. (htpasswd mode has no
/// database to re-check: it clears the cache when the file changes.)
/// </summary>
public sealed class VerifiedCredentials(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private const int MaxEntries = 10_000;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (VerifiedCredential Credential, DateTimeOffset Expires)> _entries = new();

    public VerifiedCredential? Get(string user, string secret)
    {
        var key = Key(user, secret);
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (entry.Expires > time.GetUtcNow()) return entry.Credential;
        _entries.TryRemove(key, out _);
        return null;
    }

    public void Add(string user, string secret, VerifiedCredential credential)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[Key(user, secret)] = (credential, time.GetUtcNow() + Lifetime);
    }

    /// <summary>Forgets every cached check (the user list changed).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Drops the entry (its re-check failed).</summary>
    public void Remove(string user, string secret) => _entries.TryRemove(Key(user, secret), out _);

    private string Key(string user, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(user + "\0" + secret)));
}
