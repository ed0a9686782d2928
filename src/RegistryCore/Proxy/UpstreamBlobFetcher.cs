using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Proxy;

/// <summary>
/// Fetches blobs from upstreams into the store, one <see cref="BlobFetch"/> per upstream repository and digest at a
/// time (single flight). A fetch is not tied to the request that started it: when that client goes away the others
/// still read it, and the blob still lands in the cache. It stops when the upstream stalls for
/// <see cref="IdleTimeout"/>, breaks off, or sends bytes that do not match the digest; then nothing is committed.
/// Across instances sharing the metadata, a fetch lease (<see cref="ClusterLeases.AcquireFetchAsync"/>) makes the
/// GET once per cluster: an instance that finds another one fetching waits for it (up to
/// <see cref="ProxySettings.FetchWait"/>) and then serves the blob from the store.
/// </summary>
public sealed partial class UpstreamBlobFetcher(
    BlobStore store,
    CacheMetadata metadata,
    IDbContextFactory<RegistryDbContext> contexts,
    ClusterLeases leases,
    IOptions<RegistryOptions> options,
    UpstreamStatistics statistics,
    IHostApplicationLifetime lifetime,
    ILogger<UpstreamBlobFetcher> logger)
{
    /// <summary>How long an upstream may send nothing in the middle of a blob before the fetch is given up.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<(string Upstream, string Repository, Digest Digest), BlobFetch> _fetches = new();

    private int _waiting;

    /// <summary>Fetches under way (for tests and the portal).</summary>
    public int InFlight => _fetches.Count;

    /// <summary>Fetches of this instance waiting for another instance that holds the blob's fetch lease.</summary>
    public int WaitingForOtherInstance => Volatile.Read(ref _waiting);

    /// <summary>The fetch of this blob that is under way, or a new one.</summary>
    /// <param name="started">Whether this call started it (the others join it).</param>
    public BlobFetch GetOrStart(UpstreamMatch match, Digest digest, out bool started)
    {
        var key = (match.Upstream.Name, match.RemoteName, digest);
        while (true)
        {
            if (_fetches.TryGetValue(key, out var running))
            {
                started = false;
                return running;
            }
            var fetch = new BlobFetch(match, digest, store);
            if (!_fetches.TryAdd(key, fetch)) continue;
            started = true;
            _ = RunAsync(key, fetch);
            return fetch;
        }
    }

    /// <summary>
    /// A blob's size for a HEAD through the cache: from a fetch under way, else as the upstream states it. Nothing is
    /// linked: the upstream's word is not proof that it holds those bytes, and the store may hold them for a private
    /// repository (linking on a HEAD would hand them to whoever may pull the cache).
    /// </summary>
    /// <returns>Null when the upstream does not have it.</returns>
    public async Task<long?> StatAsync(UpstreamMatch match, Digest digest, CancellationToken cancellationToken)
    {
        if (_fetches.TryGetValue((match.Upstream.Name, match.RemoteName, digest), out var running))
            return await running.Started.WaitAsync(cancellationToken);
        return await match.Client.HeadBlobAsync(match.RemoteName, digest, cancellationToken);
    }

    private async Task RunAsync((string, string, Digest) key, BlobFetch fetch)
    {
        await Task.Yield();
        var match = fetch.Match;
        var digest = fetch.Digest;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        try
        {
            var size = await ReuseStoredAsync(fetch, cancellation.Token) ?? await FetchUnderLeaseAsync(fetch, cancellation);
            _fetches.TryRemove(new KeyValuePair<(string, string, Digest), BlobFetch>(key, fetch));
            fetch.Succeed(size);
        }
        catch (Exception e)
        {
            _fetches.TryRemove(new KeyValuePair<(string, string, Digest), BlobFetch>(key, fetch));
            var error = e switch
            {
                UpstreamException => e,
                OperationCanceledException when lifetime.ApplicationStopping.IsCancellationRequested =>
                    new UpstreamException(UpstreamFailure.Unavailable, "Wharf is shutting down", e),
                _ => new UpstreamException(UpstreamFailure.Unavailable, $"fetching blob {digest} from upstream '{match.Upstream.Name}' failed: {e.Message}", e),
            };
            if (e is not UpstreamException { Failure: UpstreamFailure.NotFound }) LogFetchFailed(logger, match.Upstream.Name, match.RemoteName, digest, error.Message);
            fetch.Fail(error);
        }
    }

    /// <summary>
    /// No GET when the blob was linked to this cached repository by a fetch that finished a moment ago. A blob that is
    /// in the store only for other repositories is fetched and verified like any other: that this upstream has it is
    /// known only once it has sent those bytes.
    /// </summary>
    private async Task<long?> ReuseStoredAsync(BlobFetch fetch, CancellationToken cancellationToken)
    {
        var stored = await store.SizeAsync(fetch.Digest, cancellationToken);
        if (stored is null) return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var text = fetch.Digest.ToString();
        var linked = await (from rb in db.RepositoryBlobs
                            join r in db.Repositories on rb.RepositoryId equals r.Id
                            where r.Name == fetch.Match.LocalName && rb.Digest == text
                            select rb).AnyAsync(cancellationToken);
        return linked ? stored : null;
    }

    /// <summary>
    /// Takes the blob's cluster-wide fetch lease, waiting while another instance holds it, and fetches only if the
    /// blob is still not linked then (the holder usually linked it). The lease is held until the blob is published
    /// and linked, or the fetch failed (then the next waiter fetches). When the wait runs out, this instance fetches
    /// anyway: a second verified GET costs less than failing a pull behind a slow one.
    /// </summary>
    private async Task<long> FetchUnderLeaseAsync(BlobFetch fetch, CancellationTokenSource cancellation)
    {
        var match = fetch.Match;
        var wait = options.Value.Proxy.FetchWait;
        IAsyncDisposable? lease;
        Interlocked.Increment(ref _waiting);
        try
        {
            lease = await leases.AcquireFetchAsync($"{match.Upstream.Name}/{match.RemoteName}@{fetch.Digest}", wait, cancellation.Token);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        await using (lease)
        {
            if (lease is null) LogLeaseWaitRanOut(logger, match.Upstream.Name, match.RemoteName, fetch.Digest, wait.TotalSeconds);
            else if (await ReuseStoredAsync(fetch, cancellation.Token) is { } size) return size;
            return await DownloadAsync(fetch, cancellation);
        }
    }

    private async Task<long> DownloadAsync(BlobFetch fetch, CancellationTokenSource cancellation)
    {
        var match = fetch.Match;
        var digest = fetch.Digest;
        using var response = await match.Client.GetBlobAsync(match.RemoteName, digest, cancellation.Token) ?? throw NotFound(fetch);
        var length = response.Content.Headers.ContentLength;
        fetch.Start(length);
        long written;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellation.Token);
            await using var spool = fetch.OpenSpoolWriter();
            cancellation.CancelAfter(IdleTimeout);
            written = await store.WriteAsync(body, digest, length, cancellation.Token, new Progress(fetch, cancellation, spool));
        }
        catch (RegistryException e)
        {
            statistics.Failed(match.Upstream.Name, e.Message, reachable: true);
            throw new UpstreamException(UpstreamFailure.Invalid, $"upstream '{match.Upstream.Name}' sent blob {digest} wrong: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            var message = $"upstream '{match.Upstream.Name}' stalled for {IdleTimeout.TotalSeconds:0} s sending blob {digest} (after {fetch.Written} bytes)";
            statistics.Failed(match.Upstream.Name, message, reachable: false);
            throw new UpstreamException(UpstreamFailure.Unavailable, message, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            var message = $"upstream '{match.Upstream.Name}' broke off sending blob {digest} after {fetch.Written} of {length?.ToString() ?? "?"} bytes: {e.Message}";
            statistics.Failed(match.Upstream.Name, message, reachable: false);
            throw new UpstreamException(UpstreamFailure.Unavailable, message, e);
        }
        cancellation.CancelAfter(Timeout.InfiniteTimeSpan);
        if (!await metadata.LinkBlobAsync(match, digest, written, cancellation.Token))
            throw new UpstreamException(UpstreamFailure.Unavailable, $"blob {digest} was removed from the store while it was being cached; pull again");
        statistics.Fetched(match.Upstream.Name, written);
        LogFetched(logger, match.Upstream.Name, match.RemoteName, digest, written);
        return written;
    }

    private static UpstreamException NotFound(BlobFetch fetch) =>
        new(UpstreamFailure.NotFound, $"upstream '{fetch.Match.Upstream.Name}' has no blob {fetch.Digest} in {fetch.Match.RemoteName}");

    /// <summary>
    /// The second destination of the store's hashing copy: copies the bytes to the fetch's spool, tells readers about
    /// them and keeps the idle timer fresh.
    /// </summary>
    private sealed class Progress(BlobFetch fetch, CancellationTokenSource idle, Stream spool) : Stream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await spool.WriteAsync(buffer, cancellationToken);
            fetch.Advance(buffer.Length);
            idle.CancelAfter(IdleTimeout);
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cached blob {Digest} of {Repository} from upstream {Upstream} ({Bytes} bytes)")]
    private static partial void LogFetched(ILogger logger, string upstream, string repository, Digest digest, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another instance has been fetching blob {Digest} of {Repository} from upstream {Upstream} for over {Seconds} s; fetching it here too")]
    private static partial void LogLeaseWaitRanOut(ILogger logger, string upstream, string repository, Digest digest, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching blob {Digest} of {Repository} from upstream {Upstream} failed, nothing was cached: {Message}")]
    private static partial void LogFetchFailed(ILogger logger, string upstream, string repository, Digest digest, string message);
}
