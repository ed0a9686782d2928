using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Import;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Brings the metadata database up to date at start, and on a first start over a registry:2 data directory imports
/// its repositories so they are served at once.
/// </summary>
public sealed partial class RegistryDatabaseInitializer(RegistryDbContext db, DistributionImporter importer, ILogger<RegistryDatabaseInitializer> logger)
{
    public async Task InitializeAsync(bool importDistributionData, CancellationToken cancellationToken)
    {
        await db.Database.MigrateWithWriteAheadLogAsync(cancellationToken);

        if (!importDistributionData || await db.Repositories.AnyAsync(cancellationToken)) return;
        if (!await importer.HasDistributionTreeAsync(cancellationToken)) return;
        LogImporting(logger);
        await importer.ImportAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The metadata database is empty and the store holds a registry:2 repositories tree: importing it")]
    private static partial void LogImporting(ILogger logger);
}
