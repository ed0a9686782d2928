using Microsoft.Extensions.Caching.Memory;

namespace Wharf.Registry.Caching;

/// <summary>Which page of which repository's tags, as of which tag generation.</summary>
public readonly record struct TagListKey(long RepositoryId, long Generation, int? N, string? Last);

/// <summary>A rendered <c>tags/list</c> answer: the JSON body and the <c>Link</c> to the next page, if any.</summary>
public sealed record TagListResponse(byte[] Json, string? NextLink);

/// <summary>
/// Rendered <c>tags/list</c> pages, bounded in memory. Keyed by the repository's
/// <see cref="Metadata.RepositoryRecord.TagGeneration"/>, which every tag change bumps in its own transaction
/// (<see cref="Metadata.TagGenerations"/>), so a page is never invalidated, only no longer asked for: a request reads
/// the current generation (one indexed row) and finds the page built under it, on whichever instance. Pages of
/// earlier generations age out (or are pushed out by the size bound).
/// </summary>
public sealed class TagListCache : IDisposable
{
    /// <summary>Bytes of rendered pages kept, in all (5,000 tags render to about 60 KB).</summary>
    public const long Budget = 32L << 20;
    /// <summary>Larger pages are rendered each time rather than crowd out the others.</summary>
    public const int MaxCachedPage = 2 << 20;
    private const int EntryOverhead = 256;
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(10);

    private readonly MemoryCache _pages = new(new MemoryCacheOptions { SizeLimit = Budget });

    public TagListResponse? Get(TagListKey key) => _pages.TryGetValue(key, out TagListResponse? page) ? page : null;

    public void Set(TagListKey key, TagListResponse page)
    {
        if (page.Json.Length > MaxCachedPage) return;
        using var entry = _pages.CreateEntry(key);
        entry.Value = page;
        entry.Size = page.Json.Length + (page.NextLink?.Length ?? 0) + (key.Last?.Length ?? 0) + EntryOverhead;
        entry.SlidingExpiration = Unused;
    }

    public void Dispose() => _pages.Dispose();
}
