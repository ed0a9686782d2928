namespace Wharf.Registry.Storage;

/// <summary>
/// The readiness probe every driver runs (<see cref="IBlobStorage.ProbeAsync"/>): one small object written and deleted,
/// so a read-only or full volume, a missing bucket or wrong credentials fail here, where a stat would still pass.
/// </summary>
internal static class StorageProbe
{
    private static readonly byte[] Content = "wharf readiness probe"u8.ToArray();

    /// <exception cref="IOException">The store did not take the write, with its own message.</exception>
    public static async Task WriteAndDeleteAsync(IBlobStorage storage, CancellationToken cancellationToken)
    {
        var key = StorageLayout.Scratch(Guid.NewGuid());
        try
        {
            await storage.PutAsync(key, new MemoryStream(Content, writable: false), cancellationToken);
            await storage.DeleteAsync(key, cancellationToken);
        }
        catch (Exception e) when (e is not (IOException or OperationCanceledException or UnauthorizedAccessException))
        {
            // SDK exceptions (S3, Azure, HTTP) as one kind, so a health check needs to know no driver's types.
            throw new IOException($"{storage.Name} storage did not take a write: {e.Message}", e);
        }
    }
}
