using Microsoft.Data.Sqlite;

namespace Wharf.Registry.Metadata;

/// <summary>
/// Keeps a SQLite database and its -wal and -shm files readable by Wharf's user only (0600): they hold password
/// hashes, access-token hashes and every repository's metadata. The database file is created with that mode before
/// SQLite opens it, and SQLite gives the -wal and -shm files the mode of their database; files left by an older
/// version are narrowed at start.
/// </summary>
public static class OwnerOnlyDatabaseFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Apply(string connectionString)
    {
        if (OperatingSystem.IsWindows()) return;
        var path = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(path) || path == ":memory:" || path.StartsWith("file:", StringComparison.Ordinal)) return;
        try
        {
            if (!File.Exists(path))
            {
                using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
            }
            foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
            {
                if (File.Exists(file) && (File.GetUnixFileMode(file) & ~OwnerOnly) != 0) File.SetUnixFileMode(file, OwnerOnly);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only data directory, or files owned by someone else: nothing can be changed; opening the
            // database reports what matters.
        }
    }
}
