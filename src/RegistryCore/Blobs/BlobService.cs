using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Events;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Blobs;

/// <summary>Blobs as seen through a repository: a blob is readable in a repository only once it is linked there.</summary>
public sealed class BlobService(RegistryDbContext db, BlobLedger ledger, BlobStore store, BlobVerification verification, IOptions<RegistryOptions> options)
    : IBlobSource
{
    public async Task<BlobRead?> ReadAsync(string repository, Digest digest, BlobReadMode mode, RegistryCaller caller, CancellationToken cancellationToken)
    {
        if (await LinkAsync(repository, digest.ToString(), cancellationToken) is not { } unverified) return null;
        var size = await store.SizeAsync(digest, cancellationToken);
        if (size is null) return null;
        // Before the registry says it has the blob, and before any byte goes out (also by redirect): a blob imported
        // unverified is hashed on its first read.
        await verification.EnsureVerifiedAsync(repository, digest, unverified, caller, cancellationToken);
        if (mode == BlobReadMode.Head) return new BlobRead(size, null);
        // distribution's default: where the store signs URLs, the client fetches the bytes from it directly.
        var storage = options.Value.Storage;
        if (!storage.RedirectDisabled && await store.Storage.GetSignedReadUrlAsync(StorageLayout.BlobData(digest), storage.RedirectLifetime, cancellationToken) is { } url)
            return new BlobRead(size, null) { Redirect = url };
        var read = await store.ReadAsync(digest, 0, null, cancellationToken);
        if (read is null) return null;
        if (read.LocalFile is { } file)
        {
            // A whole local file goes out from the handle opened here (a delete meanwhile cannot take it away);
            // a ranged one through the framework's range handling, which opens the file itself.
            if (mode == BlobReadMode.Stream) return new BlobRead(read.ObjectSize, read.Content) { LocalFile = file };
            await read.DisposeAsync();
            return new BlobRead(read.ObjectSize, null) { LocalFile = file };
        }
        if (mode == BlobReadMode.Seekable)
        {
            await read.DisposeAsync();
            return new BlobRead(read.ObjectSize, new SeekableBlobStream(store, digest, read.ObjectSize));
        }
        return new BlobRead(read.ObjectSize, read.Content);
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
        // The object is checked first, outside the ledger's lock; the ledger then links it only if no sweep has marked
        // it since, and the fresh link keeps it for the grace period (docs/gc.md). The repository is made only with
        // the link: a mount that fails creates nothing.
        if (await store.SizeAsync(digest, cancellationToken) is null) return false;
        var size = await ledger.LinkExistingAsync(repository, digest.ToString(),
            size => new RegistryEvent(RegistryEventKind.BlobMounted, repository, caller) { Digest = digest.ToString(), Size = size }, cancellationToken);
        return size is not null;
    }

    /// <summary>Unlinks a blob from a repository. Its bytes go when garbage collection finds nothing else uses them.</summary>
    public async Task<bool> DeleteAsync(string repository, Digest digest, RegistryCaller caller, CancellationToken cancellationToken)
    {
        var text = digest.ToString();
        var deleted = await ledger.ChangeAsync(async ct =>
        {
            var removed = await (from rb in db.RepositoryBlobs
                                 join r in db.Repositories on rb.RepositoryId equals r.Id
                                 where r.Name == repository && rb.Digest == text
                                 select rb).ExecuteDeleteAsync(ct);
            return removed == 0 ? null : new RegistryEvent(RegistryEventKind.BlobDeleted, repository, caller) { Digest = text };
        }, cancellationToken);
        return deleted is not null;
    }

    /// <summary>Null when the repository does not hold the blob; else whether it still awaits verification.</summary>
    private Task<bool?> LinkAsync(string repository, string digest, CancellationToken cancellationToken) =>
        LinkQuery(db, repository, digest, cancellationToken);

    // Compiled once: every blob HEAD and GET that misses the read cache asks it (a push asks it of every new blob),
    // and a LINQ query is otherwise looked up in EF Core's query cache by hashing its whole expression tree each time.
    private static readonly Func<RegistryDbContext, string, string, CancellationToken, Task<bool?>> LinkQuery =
        EF.CompileAsyncQuery((RegistryDbContext db, string repository, string digest, CancellationToken _) =>
            (from rb in db.RepositoryBlobs
             join r in db.Repositories on rb.RepositoryId equals r.Id
             where r.Name == repository && rb.Digest == digest
             select (bool?)db.Blobs.Any(b => b.Digest == rb.Digest && b.UnverifiedSince != null)).FirstOrDefault());

    private Task<bool> IsLinkedAsync(string repository, string digest, CancellationToken cancellationToken) =>
        (from rb in db.RepositoryBlobs
         join r in db.Repositories on rb.RepositoryId equals r.Id
         where r.Name == repository && rb.Digest == digest
         select rb).AnyAsync(cancellationToken);
}
