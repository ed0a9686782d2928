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

    /// <summary>The upstream-fetch leases' first key, "Whfe": a space of their own, so a fetch never waits on a schedule.</summary>
    private const int FetchClass = 0x57686665;

    /// <summary>SQLite: fetch leases are spread over this many lock files (two fetches in one file take turns).</summary>
    private const int FetchLockFiles = 4096;

    /// <summary>Takes the lease when nobody holds it; null when someone does.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return settings.Database.IsPostgreSql
            ? await PostgreSqlAsync(settings.Database.ConnectionString!, LeaseClass, name, null, cancellationToken)
            : TryFile(Path.Combine(settings.ResolvedDataDirectory, "leases", name + ".lock"));
    }

    /// <summary>Takes the lease, waiting up to <paramref name="wait"/> while someone holds it; null when the wait ran out.</summary>
    public Task<IAsyncDisposable?> AcquireAsync(string name, TimeSpan wait, CancellationToken cancellationToken) =>
        WaitAsync(LeaseClass, name, Path.Combine(options.Value.ResolvedDataDirectory, "leases", name + ".lock"), wait, cancellationToken);

    /// <summary>
    /// The lease for fetching <paramref name="name"/> (an upstream blob) from its upstream, waiting up to
    /// <paramref name="wait"/> while another instance holds it; null when the wait ran out. Its holder fetches; the
    /// others wait here and then find the blob in the store. A holder that dies frees it (see the class remarks).
    /// </summary>
    public Task<IAsyncDisposable?> AcquireFetchAsync(string name, TimeSpan wait, CancellationToken cancellationToken)
    {
        var bucket = (uint)Key(name) % FetchLockFiles;
        return WaitAsync(FetchClass, name, Path.Combine(options.Value.ResolvedDataDirectory, "leases", "fetch", $"{bucket:x3}.lock"), wait, cancellationToken);
    }

    private async Task<IAsyncDisposable?> WaitAsync(int lockClass, string name, string lockFile, TimeSpan wait, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Database.IsPostgreSql)
            return await PostgreSqlAsync(settings.Database.ConnectionString!, lockClass, name, wait, cancellationToken);

        var deadline = DateTime.UtcNow + wait;
        // flock(2) has no timed wait in .NET: poll, from every 20 ms up to every 500 ms (one host only, cheap).
        for (var pause = TimeSpan.FromMilliseconds(20); ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(500).Ticks)))
        {
            if (TryFile(lockFile) is { } lease) return lease;
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(pause, cancellationToken);
        }
    }

    private static int Key(string name) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0);

    /// <param name="wait">Null: try once; else wait up to this long for the holder to let go.</param>
    private static async Task<IAsyncDisposable?> PostgreSqlAsync(string connectionString, int lockClass, string name, TimeSpan? wait,
        CancellationToken cancellationToken)
    {
        // Not pooled: the lock lives exactly as long as this connection. The server-side keepalives make PostgreSQL
        // notice within about a minute that a holder's machine went away (its default is the system's, often 2 h).
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            KeepAlive = 30,
            ApplicationName = "wharf lease " + (name.Length > 40 ? name[..40] : name),
            Options = "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var key = Key(name);
            if (wait is { } timeout)
            {
                await using (var limit = new NpgsqlCommand($"SET lock_timeout = {Math.Max(1, (long)timeout.TotalMilliseconds)}", connection))
                    await limit.ExecuteNonQueryAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@class, @key)", connection);
                command.Parameters.AddWithValue("class", lockClass);
                command.Parameters.AddWithValue("key", key);
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    return new PostgreSqlLease(connection, lockClass, key);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                }
            }
            else
            {
                await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, @key)", connection);
                command.Parameters.AddWithValue("class", lockClass);
                command.Parameters.AddWithValue("key", key);
                if (await command.ExecuteScalarAsync(cancellationToken) is true) return new PostgreSqlLease(connection, lockClass, key);
            }
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

    private sealed class PostgreSqlLease(NpgsqlConnection connection, int lockClass, int key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@class, @key)", connection);
                command.Parameters.AddWithValue("class", lockClass);
                command.Parameters.AddWithValue("key", key);
                await command.ExecuteScalarAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone (broken or closed), and the lock with it.
            }
            await connection.DisposeAsync();
        }
    }

    private sealed class FileLease(FileStream stream) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
