using Radzen;

namespace Wharf.Portal.Components.Shared;

/// <summary>The confirm dialog for a manifest delete: it names every tag that goes with the digest.</summary>
public static class DeleteConfirmation
{
    public static async Task<bool> AskAsync(DialogService dialogs, ManifestDeletion deletion, string repository, string digest)
    {
        var tags = await deletion.TagsGoingWithAsync(repository, digest);
        var message = tags.Count == 0
            ? $"Delete manifest {digest} from {repository}? It has no tags."
            : $"Delete manifest {digest} from {repository}? These tags go with it: {string.Join(", ", tags)}.";
        return await dialogs.Confirm(message, "Delete manifest", new ConfirmOptions { OkButtonText = "Delete", CancelButtonText = "Cancel" }) == true;
    }
}
