using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Blobs;

/// <summary>Blobs as seen through a repository: a blob is readable in a repository only once it is linked there.</summary>
public sealed class BlobService(RegistryDbContext db, BlobLedger ledger, BlobStore store, IRegistryEventSink events) : IBlobSource
{
    public async Task<BlobRead?> ReadAsync(string repository, Digest digest, BlobReadMode mode, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var size = await StatAsync(repository, digest, cancellationToken);
        if (size is null) return null;
        if (mode == BlobReadMode.Head) return new BlobRead(size, null);
        // A local file goes out with sendfile(2): no copy through user space.
        if (store.Driver is FileSystemStorageDriver files) return new BlobRead(size, null) { LocalFile = files.Resolve(StorageLayout.BlobData(digest)) };
        return new BlobRead(size, await OpenReadAsync(digest, cancellationToken));
    }

    /// <summary>The blob's size, or null when the repository does not hold it.</summary>
    public async Task<long?> StatAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        if (!await IsLinkedAsync(repository, digest.ToString(), cancellationToken)) return null;
        return await store.SizeAsync(digest, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken) => store.OpenReadAsync(digest, cancellationToken);

    /// <summary>Links a blob that <paramref name="fromRepository"/> holds into <paramref name="repository"/>, copying nothing.</summary>
    /// <returns>Whether the mount happened (false when the source does not hold the blob).</returns>
    public async Task<bool> MountAsync(string repository, Digest digest, string fromRepository, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (!await IsLinkedAsync(fromRepository, digest.ToString(), cancellationToken)) return false;
        return await LinkExistingAsync(repository, digest, caller, cancellationToken);
    }

    /// <summary>Repositories that hold the blob: the candidates for a mount without <c>from</c>.</summary>
    public Task<List<string>> RepositoriesHoldingAsync(Digest digest, int limit, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        return (from rb in db.RepositoryBlobs
                join r in db.Repositories on rb.RepositoryId equals r.Id
                where rb.Digest == text
                orderby r.Name
                select r.Name).Take(limit).ToListAsync(cancellationToken);
    }

    private async Task<bool> LinkExistingAsync(string repository, Digest digest, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var repositoryId = await db.EnsureRepositoryAsync(repository, cancellationToken);
        // The object is checked first, outside the ledger's lock; the ledger then links it only if no sweep has marked
        // it since, and the fresh link keeps it for the grace period (docs/gc.md).
        if (await store.SizeAsync(digest, cancellationToken) is null) return false;
        var size = await ledger.LinkExistingAsync(repositoryId, digest.ToString(), null, cancellationToken);
        if (size is null) return false;
        events.Publish(new RegistryEvent(RegistryEventKind.BlobMounted, repository, caller) { Digest = digest.ToString(), Size = size });
        return true;
    }

    /// <summary>Unlinks a blob from a repository. Its bytes go when garbage collection finds nothing else uses them.</summary>
    public async Task<bool> DeleteAsync(string repository, Digest digest, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        var deleted = await (from rb in db.RepositoryBlobs
                             join r in db.Repositories on rb.RepositoryId equals r.Id
                             where r.Name == repository && rb.Digest == text
                             select rb).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0) return false;
        events.Publish(new RegistryEvent(RegistryEventKind.BlobDeleted, repository, caller) { Digest = text });
        return true;
    }

    private Task<bool> IsLinkedAsync(string repository, string digest, CancellationToken cancellationToken) =>
        (from rb in db.RepositoryBlobs
         join r in db.Repositories on rb.RepositoryId equals r.Id
         where r.Name == repository && rb.Digest == digest
         select rb).AnyAsync(cancellationToken);
}
