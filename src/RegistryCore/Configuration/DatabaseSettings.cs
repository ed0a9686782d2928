namespace Wharf.Registry.Configuration;

public enum DatabaseProvider
{
    /// <summary>The embedded default: <c>registry.db</c> and <c>portal.db</c> in the data directory.</summary>
    Sqlite = 0,
    /// <summary>One PostgreSQL database shared by every instance, for the metadata and the portal's data alike.</summary>
    PostgreSql = 1,
}

/// <summary>Where the registry metadata and the portal's data are kept.</summary>
public sealed class DatabaseSettings
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>For PostgreSQL: an Npgsql connection string (it holds the password; never log it).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Where the settings came from, for messages ("registry.database" or "Wharf:Database").</summary>
    public string Source { get; set; } = "";

    /// <summary>
    /// SQLite's files are on a read-only data directory (found at start, see <see cref="RegistryOptions.StoreReadOnly"/>):
    /// they are opened read-only and nothing is migrated.
    /// </summary>
    public bool SqliteReadOnly { get; set; }

    public bool IsPostgreSql => Provider == DatabaseProvider.PostgreSql;

    /// <summary>Leaves the password out, so that logging the settings never shows it.</summary>
    public override string ToString()
    {
        if (!IsPostgreSql || ConnectionString is null) return "SQLite";
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Password = null };
        return $"PostgreSQL ({builder.Host}:{builder.Port}/{builder.Database})";
    }
}
