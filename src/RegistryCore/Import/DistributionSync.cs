using System.Text;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Import;

/// <summary>
/// When Wharf's metadata and distribution's link files last agreed: the modification time of
/// <see cref="StorageLayout.DistributionSyncMarker"/>, written after every import and export. It is read on the
/// store's own clock, the clock of the link files it is compared with, so a skew between Wharf's host and the store
/// does not matter for that comparison.
/// </summary>
public static class DistributionSync
{
    public static Task MarkAsync(IBlobStorage storage, string what, CancellationToken cancellationToken) =>
        storage.PutAsync(StorageLayout.DistributionSyncMarker,
            new MemoryStream(Encoding.UTF8.GetBytes($"Wharf's last {what} of distribution's link files; its modification time is what a merging import compares them with\n")),
            cancellationToken);

    /// <summary>The last import or export, or null when Wharf has done neither on this store.</summary>
    public static async Task<DateTimeOffset?> LastAsync(IBlobStorage storage, CancellationToken cancellationToken) =>
        (await storage.StatAsync(StorageLayout.DistributionSyncMarker, cancellationToken))?.Modified;
}
