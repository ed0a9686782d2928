using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Import;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Brings the metadata database up to date at start, and on a first start over a registry:2 data directory imports
/// its repositories so they are served at once.
/// </summary>
public sealed partial class RegistryDatabaseInitializer(RegistryDbContext db, DistributionImporter importer, StorageReserve reserve, ILogger<RegistryDatabaseInitializer> logger)
{
    public async Task InitializeAsync(bool importDistributionData, CancellationToken cancellationToken)
    {
        if (db.Database.IsReadOnly())
        {
            await db.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
            LogReadOnly(logger);
            if (importDistributionData && !await db.Repositories.AnyAsync(cancellationToken) && await importer.HasDistributionTreeAsync(cancellationToken))
                LogCannotImport(logger);
            return;
        }
        // A start on a full disk must still open the database: give it the reserve, and keep one again if there is room.
        reserve.ReleaseIfLow();
        await db.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
        reserve.Ensure();

        if (!importDistributionData || await db.Repositories.AnyAsync(cancellationToken)) return;
        if (!await importer.HasDistributionTreeAsync(cancellationToken)) return;
        LogImporting(logger);
        await importer.ImportAsync(merge: false, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data directory is read-only: serving pulls only (pushes and deletes are refused) until Wharf is started on writable storage")]
    private static partial void LogReadOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store holds a registry:2 repositories tree, but the data directory is read-only: it cannot be imported; start Wharf once on writable storage, or run wharf import there")]
    private static partial void LogCannotImport(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The metadata database is empty and the store holds a registry:2 repositories tree: importing it")]
    private static partial void LogImporting(ILogger logger);
}
