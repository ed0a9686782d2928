using Wharf.Registry.Browse;

namespace Wharf.Portal.Lists;

/// <summary>
/// One page of a list as the portal asks for it: which rows, sorted by which column, matching what. Services turn it
/// into a database query (ORDER BY, OFFSET, LIMIT), so that a list of ten thousand users is never read whole to show
/// twenty-five of them.
/// </summary>
/// <param name="SortBy">A column name the service knows (unknown names fall back to the list's default order).</param>
/// <param name="Search">A case-insensitive substring, or null for every row.</param>
public sealed record ListRequest(int Skip, int Take, string? SortBy = null, bool Descending = false, string? Search = null)
{
    public const int MaxTake = 500;

    /// <summary>Every row, read a page at a time (the command line prints whole lists).</summary>
    public static async IAsyncEnumerable<T> AllAsync<T>(Func<ListRequest, Task<Page<T>>> load)
    {
        for (var request = new ListRequest(0, MaxTake); ; request = request with { Skip = request.Skip + MaxTake })
        {
            var page = await load(request);
            foreach (var item in page.Items) yield return item;
            if (page.Items.Count < MaxTake) yield break;
        }
    }

    /// <summary>The search text as it is matched, against lower-cased columns (trimmed, lower-cased), or null.</summary>
    public string? Needle => string.IsNullOrWhiteSpace(Search) ? null : Search.Trim().ToLowerInvariant();

    public int SafeSkip => Math.Max(0, Skip);

    public int SafeTake => Math.Clamp(Take, 1, MaxTake);
}
