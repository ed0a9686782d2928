using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Wharf.Registry.Events;

namespace Wharf.Registry.Proxy;

/// <summary>What the cache knows about one upstream, for the portal and for monitoring.</summary>
/// <param name="Reachable">Null until Wharf has talked to it; false after a connection failure, timeout or 5xx.</param>
/// <param name="Fetches">Upstream GETs of blobs and manifests (concurrent misses share one).</param>
/// <param name="StaleServes">Cached manifests served because the upstream could not be asked.</param>
public sealed record UpstreamStats(
    string Upstream,
    bool? Reachable,
    string? LastError,
    DateTime? LastErrorAt,
    DateTime? LastSuccessAt,
    long CacheHits,
    long CacheMisses,
    long Fetches,
    long BytesFromCache,
    long BytesFetched,
    long StaleServes);

/// <summary>What one instance counted for an upstream since it last wrote to the database, and its latest outcomes.</summary>
public sealed record UpstreamStatsDelta(
    string Upstream, long CacheHits, long CacheMisses, long Fetches, long BytesFromCache, long BytesFetched, long StaleServes,
    bool OutcomeChanged, bool? Reachable, string? LastError, DateTime? LastErrorAt, DateTime? LastSuccessAt)
{
    public bool IsEmpty => !OutcomeChanged && CacheHits == 0 && CacheMisses == 0 && Fetches == 0 && BytesFromCache == 0 && BytesFetched == 0 && StaleServes == 0;
}

/// <summary>
/// Per-upstream counters of the pull-through cache, kept in memory (<see cref="Get"/>, <see cref="All"/>) and
/// published as <c>System.Diagnostics.Metrics</c> instruments on the "Wharf.Registry" meter, tagged with the upstream.
/// Counting stays a few interlocked additions on the pull path; <see cref="UpstreamStatisticsStore"/> restores the
/// totals at start and writes what changed every <see cref="UpstreamStatisticsStore.FlushEvery"/>, so they survive a restart.
/// </summary>
public sealed class UpstreamStatistics
{
    private readonly ConcurrentDictionary<string, Counters> _counters = new(StringComparer.Ordinal);
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _fetches;
    private readonly Counter<long> _bytesFromCache;
    private readonly Counter<long> _bytesFetched;
    private readonly Counter<long> _staleServes;
    private readonly Counter<long> _errors;
    private readonly TimeProvider _clock;

    public UpstreamStatistics(IMeterFactory meterFactory, TimeProvider clock)
    {
        _clock = clock;
        var meter = meterFactory.Create(RegistryMetrics.MeterName);
        _hits = meter.CreateCounter<long>("wharf.proxy.cache_hits", description: "Pulls served from the cache");
        _misses = meter.CreateCounter<long>("wharf.proxy.cache_misses", description: "Pulls that needed the upstream");
        _fetches = meter.CreateCounter<long>("wharf.proxy.upstream_fetches", description: "Manifest and blob GETs sent upstream");
        _bytesFromCache = meter.CreateCounter<long>("wharf.proxy.bytes_from_cache", "By", "Blob bytes served from the cache");
        _bytesFetched = meter.CreateCounter<long>("wharf.proxy.bytes_fetched", "By", "Bytes fetched from upstreams");
        _staleServes = meter.CreateCounter<long>("wharf.proxy.stale_serves", description: "Cached manifests served while the upstream failed");
        _errors = meter.CreateCounter<long>("wharf.proxy.upstream_errors", description: "Failed upstream requests");
        meter.CreateObservableGauge("wharf.proxy.upstream_reachable", () => _counters.Values
            .Where(c => c.Reachable is not null)
            .Select(c => new Measurement<int>(c.Reachable == true ? 1 : 0, Tag(c.Name))), description: "1 when the upstream answered last time, else 0");
    }

    private sealed class Counters(string name)
    {
        public string Name { get; } = name;
        public long Hits, Misses, Fetches, BytesFromCache, BytesFetched, StaleServes;
        public volatile string? LastError;
        public DateTime? LastErrorAt, LastSuccessAt;
        public bool? Reachable;
        public bool OutcomeChanged;
        // What the database holds for this instance's share: the counters as of the last flush (or the restore).
        public long FlushedHits, FlushedMisses, FlushedFetches, FlushedBytesFromCache, FlushedBytesFetched, FlushedStaleServes;
        public readonly Lock Lock = new();
    }

    private Counters For(string upstream) => _counters.GetOrAdd(upstream, n => new Counters(n));

    private static KeyValuePair<string, object?> Tag(string upstream) => new("upstream", upstream);

    public void Hit(string upstream, long bytes)
    {
        var c = For(upstream);
        Interlocked.Increment(ref c.Hits);
        _hits.Add(1, Tag(upstream));
        if (bytes > 0)
        {
            Interlocked.Add(ref c.BytesFromCache, bytes);
            _bytesFromCache.Add(bytes, Tag(upstream));
        }
    }

    public void Miss(string upstream)
    {
        Interlocked.Increment(ref For(upstream).Misses);
        _misses.Add(1, Tag(upstream));
    }

    public void Fetched(string upstream, long bytes)
    {
        var c = For(upstream);
        Interlocked.Increment(ref c.Fetches);
        Interlocked.Add(ref c.BytesFetched, bytes);
        _fetches.Add(1, Tag(upstream));
        _bytesFetched.Add(bytes, Tag(upstream));
    }

    public void Stale(string upstream)
    {
        Interlocked.Increment(ref For(upstream).StaleServes);
        _staleServes.Add(1, Tag(upstream));
    }

    /// <summary>The upstream answered (any status below 500: a 404 or 401 is still an answer).</summary>
    public void Answered(string upstream)
    {
        var c = For(upstream);
        lock (c.Lock)
        {
            c.Reachable = true;
            c.LastSuccessAt = _clock.GetUtcNow().UtcDateTime;
            c.OutcomeChanged = true;
        }
    }

    /// <param name="reachable">False when the upstream did not answer at all (or answered 5xx).</param>
    public void Failed(string upstream, string message, bool reachable)
    {
        var c = For(upstream);
        lock (c.Lock)
        {
            if (!reachable) c.Reachable = false;
            c.LastError = message;
            c.LastErrorAt = _clock.GetUtcNow().UtcDateTime;
            c.OutcomeChanged = true;
        }
        _errors.Add(1, Tag(upstream));
    }

    public UpstreamStats Get(string upstream)
    {
        var c = For(upstream);
        lock (c.Lock)
        {
            return new UpstreamStats(upstream, c.Reachable, c.LastError, c.LastErrorAt, c.LastSuccessAt,
                Interlocked.Read(ref c.Hits), Interlocked.Read(ref c.Misses), Interlocked.Read(ref c.Fetches),
                Interlocked.Read(ref c.BytesFromCache), Interlocked.Read(ref c.BytesFetched), Interlocked.Read(ref c.StaleServes));
        }
    }

    /// <summary>Adds the totals kept in the database (at start): what this instance counts goes on top of them.</summary>
    public void Restore(UpstreamStatisticsRecord stored)
    {
        var c = For(stored.Upstream);
        lock (c.Lock)
        {
            Add(ref c.Hits, ref c.FlushedHits, stored.CacheHits);
            Add(ref c.Misses, ref c.FlushedMisses, stored.CacheMisses);
            Add(ref c.Fetches, ref c.FlushedFetches, stored.Fetches);
            Add(ref c.BytesFromCache, ref c.FlushedBytesFromCache, stored.BytesFromCache);
            Add(ref c.BytesFetched, ref c.FlushedBytesFetched, stored.BytesFetched);
            Add(ref c.StaleServes, ref c.FlushedStaleServes, stored.StaleServes);
            // What this instance saw already is newer than what was stored.
            if (!c.OutcomeChanged)
            {
                c.Reachable = stored.Reachable;
                c.LastError = stored.LastError;
                c.LastErrorAt = stored.LastErrorAt;
                c.LastSuccessAt = stored.LastSuccessAt;
            }
        }

        static void Add(ref long total, ref long flushed, long value)
        {
            Interlocked.Add(ref total, value);
            flushed += value;
        }
    }

    /// <summary>What changed since the last flush, per upstream; nothing is marked written until <see cref="MarkFlushed"/>.</summary>
    public IReadOnlyList<UpstreamStatsDelta> Unflushed()
    {
        var deltas = new List<UpstreamStatsDelta>();
        foreach (var c in _counters.Values)
        {
            lock (c.Lock)
            {
                var delta = new UpstreamStatsDelta(c.Name,
                    Interlocked.Read(ref c.Hits) - c.FlushedHits, Interlocked.Read(ref c.Misses) - c.FlushedMisses,
                    Interlocked.Read(ref c.Fetches) - c.FlushedFetches, Interlocked.Read(ref c.BytesFromCache) - c.FlushedBytesFromCache,
                    Interlocked.Read(ref c.BytesFetched) - c.FlushedBytesFetched, Interlocked.Read(ref c.StaleServes) - c.FlushedStaleServes,
                    c.OutcomeChanged, c.Reachable, c.LastError, c.LastErrorAt, c.LastSuccessAt);
                if (!delta.IsEmpty) deltas.Add(delta);
            }
        }
        return deltas;
    }

    /// <summary>The delta is in the database now: later flushes write only what is counted after it.</summary>
    public void MarkFlushed(UpstreamStatsDelta written)
    {
        var c = For(written.Upstream);
        lock (c.Lock)
        {
            c.FlushedHits += written.CacheHits;
            c.FlushedMisses += written.CacheMisses;
            c.FlushedFetches += written.Fetches;
            c.FlushedBytesFromCache += written.BytesFromCache;
            c.FlushedBytesFetched += written.BytesFetched;
            c.FlushedStaleServes += written.StaleServes;
            // An outcome recorded while the flush ran is written next time.
            if (written.OutcomeChanged && c.LastErrorAt == written.LastErrorAt && c.LastSuccessAt == written.LastSuccessAt) c.OutcomeChanged = false;
        }
    }

    public IReadOnlyList<UpstreamStats> All() => _counters.Keys.Order(StringComparer.Ordinal).Select(Get).ToList();
}
