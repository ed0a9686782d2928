using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Wharf.Portal.Access;

/// <summary>
/// Basic credentials checked in the last minute, so that basic mode does not hash the password on every blob
/// request. Keyed by an HMAC of user and secret under a key that lives only in this process: the cache holds no
/// secret. A disabled user or revoked token is refused again within <see cref="Lifetime"/>.
/// </summary>
public sealed class VerifiedCredentials(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private const int MaxEntries = 10_000;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (RegistryIdentity Identity, DateTimeOffset Expires)> _entries = new();

    public RegistryIdentity? Get(string user, string secret)
    {
        var key = Key(user, secret);
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (entry.Expires > time.GetUtcNow()) return entry.Identity;
        _entries.TryRemove(key, out _);
        return null;
    }

    public void Add(string user, string secret, RegistryIdentity identity)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[Key(user, secret)] = (identity, time.GetUtcNow() + Lifetime);
    }

    /// <summary>Forgets every cached check (the user list changed).</summary>
    public void Clear() => _entries.Clear();

    private string Key(string user, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(user + "\0" + secret)));
}
