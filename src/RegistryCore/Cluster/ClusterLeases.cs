using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using Wharf.Registry.Configuration;

namespace Wharf.Registry.Cluster;

/// <summary>
/// Named leases that at most one holder has at a time across every process sharing the metadata (several instances,
/// the command line): garbage collection and the schedules take one, so they never run twice at once. A lease ends
/// when its holder disposes it or when the holding process dies, so a crashed holder never blocks the others.
/// </summary>
/// <remarks>
/// PostgreSQL: a session-level <c>pg_try_advisory_lock</c> on a connection of its own, held open while the lease
/// is (PostgreSQL drops the lock with the connection; TCP keepalives find a dead peer). SQLite (one host, one data
/// directory): an exclusive lock on a file in <c>&lt;data&gt;/leases</c>, which the kernel drops with the process.
/// </remarks>
public sealed class ClusterLeases(IOptions<RegistryOptions> options)
{
    /// <summary>The two-key advisory lock space's first key, "Whar": apart from the ledger's one-key digest locks.</summary>
    private const int LeaseClass = 0x57686172;

    /// <summary>Takes the lease when nobody holds it; null when someone does.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return settings.Database.IsPostgreSql
            ? await TryPostgreSqlAsync(settings.Database.ConnectionString!, name, cancellationToken)
            : TryFile(Path.Combine(settings.ResolvedDataDirectory, "leases", name + ".lock"));
    }

    private static int Key(string name) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0);

    private static async Task<IAsyncDisposable?> TryPostgreSqlAsync(string connectionString, string name, CancellationToken cancellationToken)
    {
        // Not pooled: the lock lives exactly as long as this connection.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30, ApplicationName = "wharf lease " + name };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, @key)", connection);
            command.Parameters.AddWithValue("class", LeaseClass);
            command.Parameters.AddWithValue("key", Key(name));
            if (await command.ExecuteScalarAsync(cancellationToken) is true) return new PostgreSqlLease(connection, Key(name));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    private static FileLease? TryFile(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // FileShare.None is an exclusive flock(2) on Unix: another process, or another open in this one, fails.
            return new FileLease(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private sealed class PostgreSqlLease(NpgsqlConnection connection, int key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@class, @key)", connection);
                command.Parameters.AddWithValue("class", LeaseClass);
                command.Parameters.AddWithValue("key", key);
                await command.ExecuteScalarAsync();
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the lock with it.
            }
            await connection.DisposeAsync();
        }
    }

    private sealed class FileLease(FileStream stream) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
