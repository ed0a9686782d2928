using System.Runtime.CompilerServices;

namespace Wharf.Registry.Storage;

/// <summary>Conveniences built only on <see cref="IBlobStorage"/>'s members, the same for every driver.</summary>
public static class StorageListing
{
    public const int DefaultPageSize = 1000;

    /// <summary>Every object under <paramref name="prefix"/>, page by page (a listing of millions holds one page in memory).</summary>
    public static async IAsyncEnumerable<StorageObject> ListAllAsync(this IBlobStorage storage, string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken, int pageSize = DefaultPageSize)
    {
        string? token = null;
        do
        {
            var page = await storage.ListAsync(prefix, token, pageSize, cancellationToken);
            foreach (var item in page.Objects) yield return item;
            token = page.ContinuationToken;
        } while (token is not null);
    }

    /// <summary>Deletes every object under <paramref name="prefix"/>, in batches of a page.</summary>
    public static async Task DeletePrefixAsync(this IBlobStorage storage, string prefix, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Always the first page: what was deleted is gone, so the next page starts at the front again.
            var page = await storage.ListAsync(prefix, null, DefaultPageSize, cancellationToken);
            if (page.Objects.Count == 0) return;
            await storage.DeleteManyAsync(page.Objects.Select(o => o.Key).ToList(), cancellationToken);
            if (page.ContinuationToken is null) return;
        }
    }
}
