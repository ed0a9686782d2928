using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Wharf.Registry.Configuration;

/// <summary>
/// Chooses the database from GitLab's registry <c>database:</c> section of config.yml (enabled, host, port, user,
/// password, dbname, sslmode; <c>REGISTRY_DATABASE_*</c> by distribution's environment rule) or from
/// <c>Wharf:Database:ConnectionString</c> (<c>Wharf__Database__ConnectionString</c>). Neither: SQLite.
/// </summary>
public static class DatabaseConfiguration
{
    public static DatabaseSettings Bind(IConfigurationSection registryDatabase, IConfigurationSection wharfDatabase)
    {
        var connectionString = wharfDatabase["ConnectionString"];
        var enabled = registryDatabase["enabled"]?.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on";
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            // Two sources for one setting: refusing is clearer than guessing which one the operator meant.
            if (enabled)
                throw new InvalidDataException(
                    "Both database.enabled (config.yml or REGISTRY_DATABASE_ENABLED) and Wharf:Database:ConnectionString are set; keep one of them");
            return new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = Validated(connectionString, "Wharf:Database:ConnectionString"), Source = "Wharf:Database" };
        }
        if (!enabled) return new DatabaseSettings { Source = "default" };

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Required(registryDatabase, "host"),
            Port = Port(registryDatabase["port"]),
            Username = Required(registryDatabase, "user"),
            Password = registryDatabase["password"],
            Database = Required(registryDatabase, "dbname"),
            SslMode = SslMode(registryDatabase["sslmode"]),
        };
        return new DatabaseSettings { Provider = DatabaseProvider.PostgreSql, ConnectionString = builder.ConnectionString, Source = "registry.database" };
    }

    private static string Validated(string connectionString, string key)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host)) throw new InvalidDataException($"{key} names no Host");
            return builder.ConnectionString;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{key} is not a PostgreSQL connection string: {e.Message}");
        }
    }

    private static string Required(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } value ? value.Trim()
            : throw new InvalidDataException($"database.enabled is true but database.{key} (REGISTRY_DATABASE_{key.ToUpperInvariant()}) is not set");

    private static int Port(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return 5432;
        return int.TryParse(value, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidDataException($"database.port '{value}' is not a port number");
    }

    /// <summary>GitLab's (libpq's) sslmode values; an unknown one is refused rather than weakened.</summary>
    private static SslMode SslMode(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "prefer" => Npgsql.SslMode.Prefer,
        "disable" => Npgsql.SslMode.Disable,
        "allow" => Npgsql.SslMode.Allow,
        "require" => Npgsql.SslMode.Require,
        "verify-ca" => Npgsql.SslMode.VerifyCA,
        "verify-full" => Npgsql.SslMode.VerifyFull,
        _ => throw new InvalidDataException($"database.sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
    };
}
