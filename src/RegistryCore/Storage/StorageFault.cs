using Microsoft.Data.Sqlite;

namespace Wharf.Registry.Storage;

/// <summary>The two storage conditions Wharf survives rather than fails on.</summary>
public enum StorageFaultKind
{
    None,
    /// <summary>No space left (ENOSPC), or the quota is used up (EDQUOT); SQLite's SQLITE_FULL.</summary>
    Full,
    /// <summary>The file system is mounted read-only (EROFS); SQLite's SQLITE_READONLY.</summary>
    ReadOnly,
}

/// <summary>
/// Recognises a full or read-only disk in an exception from the file system or from SQLite (also when EF Core wraps
/// it), so the API can answer with a clear error that names the condition and never the server's paths (the
/// runtime's own messages carry the file name).
/// </summary>
public static class StorageFault
{
    // errno values; .NET puts the raw errno into IOException.HResult on Unix.
    private const int Enospc = 28;
    private const int Erofs = 30;
    private const int Edquot = 122;
    // SQLite primary result codes (the extended ones carry these in their low byte).
    private const int SqliteReadOnly = 8;
    private const int SqliteFull = 13;
    private const int SqliteIoError = 10;
    private const int SqliteCantOpen = 14;

    public static StorageFaultKind Classify(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when (sqlite.SqliteErrorCode & 0xff) == SqliteFull:
                case IOException { HResult: Enospc or Edquot }:
                    return StorageFaultKind.Full;
                case SqliteException sqlite when (sqlite.SqliteErrorCode & 0xff) == SqliteReadOnly:
                case IOException { HResult: Erofs }:
                    return StorageFaultKind.ReadOnly;
            }
        }
        return StorageFaultKind.None;
    }

    /// <summary>
    /// The same, and a SQLite I/O error (SQLITE_IOERR, SQLITE_CANTOPEN: what SQLite reports when the file system under
    /// an open database turns read-only) counts as read-only when <paramref name="dataDirectory"/> no longer takes writes.
    /// </summary>
    public static StorageFaultKind Classify(Exception? exception, string dataDirectory)
    {
        var kind = Classify(exception);
        if (kind != StorageFaultKind.None) return kind;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: var code } && (code & 0xff) is SqliteIoError or SqliteCantOpen)
                return ReadOnlyMedia.IsReadOnly(dataDirectory) ? StorageFaultKind.ReadOnly : StorageFaultKind.None;
        }
        return StorageFaultKind.None;
    }

    /// <summary>The registry error for a storage fault, or null when the exception is something else.</summary>
    public static RegistryException? ToRegistryException(Exception exception, string dataDirectory) => ToRegistryException(Classify(exception, dataDirectory));

    private static RegistryException? ToRegistryException(StorageFaultKind kind) => kind switch
    {
        StorageFaultKind.Full => new RegistryException(RegistryError.StorageFull),
        StorageFaultKind.ReadOnly => new RegistryException(RegistryError.StorageReadOnly),
        _ => null,
    };
}
