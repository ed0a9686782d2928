using Wharf.Registry.Storage;

namespace Wharf.Registry.Uploads;

/// <summary>Removes what an upload session staged in the store (S3 multipart parts, Azure uncommitted blocks, files).</summary>
public static class UploadStaging
{
    public static async Task DiscardAsync(IBlobStorage storage, Guid id, string state, CancellationToken cancellationToken)
    {
        try
        {
            await using var upload = await storage.ResumeUploadAsync(state, cancellationToken);
            await upload.AbortAsync(cancellationToken);
        }
        catch (Exception e) when (e is StorageUploadLostException or InvalidDataException)
        {
            // Nothing the state names is left, or the state is not this store's: remove whatever lies under the id.
        }
        await storage.DeletePrefixAsync(StorageLayout.UploadDirectory(id) + "/", cancellationToken);
    }
}
