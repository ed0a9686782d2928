using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Wharf.Registry.Metadata;

/// <summary>
/// How Wharf opens its SQLite files (registry.db, portal.db), read-write or, on a read-only data directory, read-only,
/// and the pragmas every connection gets. docs/storage.md ("Read-only data directory", "SQLite and memory maps")
/// explains the choices.
/// </summary>
public static class SqliteConnections
{
    /// <summary>
    /// The connection string for <paramref name="file"/>. Read-only: a database with a write-ahead log (left by a
    /// crash, or by a disk that turned read-only under a running Wharf) is opened with <c>Mode=ReadOnly</c>, which
    /// reads the log through its existing -shm file (SQLite 3.22 and later); one without a log is opened
    /// <c>immutable</c>, since SQLite could not create the -shm file a WAL database needs even to read.
    /// </summary>
    public static string ConnectionString(string file, bool readOnly)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 60, Pooling = true };
        if (!readOnly) return builder.ToString();
        builder.Mode = SqliteOpenMode.ReadOnly;
        var wal = new FileInfo(file + "-wal");
        if (wal.Exists && wal.Length > 0)
        {
            if (!File.Exists(file + "-shm"))
                throw new InvalidOperationException(
                    $"{Path.GetFileName(file)} has a write-ahead log but no -shm file on a read-only data directory: SQLite cannot read it without losing the log's transactions. " +
                    "Start Wharf once on writable storage (or on a writable copy of the data directory) to fold the log into the database");
            return builder.ToString();
        }
        // A URI (Microsoft.Data.Sqlite opens with SQLITE_OPEN_URI): immutable=1 tells SQLite the file cannot change,
        // so it takes no locks and needs no -shm file.
        builder.DataSource = new Uri(Path.GetFullPath(file)).AbsoluteUri + "?immutable=1";
        return builder.ToString();
    }

    /// <summary>The interceptor that sets <see cref="PragmasOnOpen"/> on every connection.</summary>
    public static readonly IInterceptor Pragmas = new PragmaInterceptor();

    /// <summary>
    /// <c>mmap_size=0</c>: SQLite reads the database file with read(2), never through a memory map. An I/O error on a
    /// mapped page (a disk gone bad or read-only, a file another process truncated) is a SIGBUS that kills the
    /// process; with read(2) it is an error code that a request turns into an answer. The build Wharf ships with
    /// defaults to 0 already; saying it here keeps a different SQLite build from changing it.
    /// <para>
    /// <c>busy_timeout</c>: a write that finds the lock held by another process (a <c>wharf garbage-collect</c>
    /// beside the server; writers of this process queue, <see cref="SqliteWriteQueue"/>) waits in SQLite's busy
    /// handler, which retries after 1, 2, 5, 10 ms and so on, rather than in Microsoft.Data.Sqlite's own retry,
    /// which sleeps 150 ms each time. As long as the connection's command timeout (60 s).
    /// </para>
    /// </summary>
    public const string PragmasOnOpen = "PRAGMA mmap_size=0; PRAGMA busy_timeout=60000;";

    private sealed class PragmaInterceptor : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (connection is SqliteConnection) Execute(connection);
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (connection is not SqliteConnection) return;
            await using var command = connection.CreateCommand();
            command.CommandText = PragmasOnOpen;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        private static void Execute(DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = PragmasOnOpen;
            command.ExecuteNonQuery();
        }
    }
}
