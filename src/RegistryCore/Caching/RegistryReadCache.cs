using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;
using Wharf.Registry.Manifests;

namespace Wharf.Registry.Caching;

/// <summary>
/// What pulls ask for again and again, in memory: a repository's tag or digest → manifest (what
/// <see cref="IManifestSource.FindAsync"/> answers), a blob's size in a repository (a HEAD), and a manifest's bytes
/// by digest. Bytes by digest are content-addressed and never change, so they are shared by every repository and
/// only bounded in size; the answers about a repository are dropped when <see cref="IRegistryChangeListener"/> says
/// it changed, and in any case after <see cref="RepositoryEntryLifetime"/> (the bound on staleness should a change
/// on another instance never be announced here). Only positive answers are kept: a push that adds something needs no
/// invalidation, a miss always asks the database.
/// </summary>
/// <remarks>
/// A read captures the repository's change token before it asks the database and stores its answer under that token:
/// a change committed meanwhile cancels the token, so an answer read before a change can never outlive it.
/// </remarks>
public sealed class RegistryReadCache : IRegistryChangeListener, IDisposable
{
    public static readonly TimeSpan RepositoryEntryLifetime = TimeSpan.FromSeconds(5);
    /// <summary>Manifest bytes kept, in all (a manifest is typically 0.5–4 KiB; an index a few KiB).</summary>
    public const long ContentBudget = 32L << 20;
    /// <summary>Larger manifests are read from the store each time rather than crowd out the common ones.</summary>
    public const int MaxCachedManifest = 256 << 10;
    private const long RepositoryEntryCost = 256;
    private const int MaxRepositories = 100_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = ContentBudget * 2 });
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CancellationTokenSource> _repositories = new(StringComparer.Ordinal);
    private CancellationTokenSource _everything = new();

    /// <summary>The token an answer about <paramref name="repository"/> is stored under; take it before reading.</summary>
    public IChangeToken TokenFor(string repository)
    {
        lock (_lock)
        {
            if (!_repositories.TryGetValue(repository, out var source) || source.IsCancellationRequested)
            {
                // Names come from requests, existing or not: keep the map bounded (starting afresh only costs misses).
                if (_repositories.Count >= MaxRepositories) Reset();
                _repositories[repository] = source = new CancellationTokenSource();
            }
            return new CompositeChangeToken([new CancellationChangeToken(source.Token), new CancellationChangeToken(_everything.Token)]);
        }
    }

    public StoredManifest? GetManifest(string repository, string reference) =>
        _cache.TryGetValue(new ManifestKey(repository, reference), out StoredManifest? manifest) ? manifest : null;

    public void SetManifest(string repository, string reference, StoredManifest manifest, IChangeToken token) =>
        Set(new ManifestKey(repository, reference), manifest, token);

    public long? GetBlobSize(string repository, string digest) =>
        _cache.TryGetValue(new BlobKey(repository, digest), out long size) ? size : null;

    public void SetBlobSize(string repository, string digest, long size, IChangeToken token) => Set(new BlobKey(repository, digest), size, token);

    public byte[]? GetContent(string digest) => _cache.TryGetValue(new ContentKey(digest), out byte[]? bytes) ? bytes : null;

    public void SetContent(string digest, byte[] content)
    {
        if (content.Length > MaxCachedManifest) return;
        using var entry = _cache.CreateEntry(new ContentKey(digest));
        entry.Value = content;
        entry.Size = content.Length + RepositoryEntryCost;
        entry.SlidingExpiration = TimeSpan.FromHours(1);
    }

    public void RepositoryChanged(string repository)
    {
        CancellationTokenSource? source;
        lock (_lock)
        {
            if (!_repositories.Remove(repository, out source)) return;
        }
        source.Cancel(); // never disposed: readers may still hold its token (nothing to free without a timer)
    }

    public void EverythingChanged()
    {
        lock (_lock) Reset();
    }

    /// <summary>Cancels every answer about every repository; the caller holds the lock.</summary>
    private void Reset()
    {
        var previous = _everything;
        _everything = new CancellationTokenSource();
        // Every repository token also hangs on the old "everything" token; start the map afresh.
        _repositories.Clear();
        previous.Cancel();
    }

    private void Set<T>(object key, T value, IChangeToken token)
    {
        if (token.HasChanged) return;
        using var entry = _cache.CreateEntry(key);
        entry.Value = value;
        entry.Size = RepositoryEntryCost;
        entry.AbsoluteExpirationRelativeToNow = RepositoryEntryLifetime;
        entry.AddExpirationToken(token);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _everything.Dispose();
    }

    private sealed record ManifestKey(string Repository, string Reference);
    private sealed record BlobKey(string Repository, string Digest);
    private sealed record ContentKey(string Digest);
}
