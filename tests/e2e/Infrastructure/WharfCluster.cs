namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// Several Wharf instances over one data directory (filesystem store) and one PostgreSQL database, with nginx in
/// front (<see cref="ClusterFront"/>): the deployment docs/cluster.md describes, on loopback.
/// </summary>
public sealed class WharfCluster : IAsyncDisposable
{
    private readonly TempDirectory _temp;
    private readonly List<WharfProcess> _instances = [];

    private WharfCluster(TempDirectory temp, PostgreSqlDatabase database)
    {
        _temp = temp;
        Database = database;
    }

    public PostgreSqlDatabase Database { get; }
    public ClusterFront Front { get; private set; } = null!;
    public IReadOnlyList<WharfProcess> Instances => _instances;
    public string RootDirectory => _temp.Combine("data");
    public string WorkDirectory => _temp.Path;

    /// <summary>
    /// Starts <paramref name="count"/> instances (the first before the others: it creates the schema and the
    /// first Admin), then nginx. <paramref name="perInstance"/> adds settings to one instance (by index).
    /// </summary>
    public static async Task<WharfCluster> StartAsync(int count = 3, IDictionary<string, string>? environment = null,
        Func<int, IDictionary<string, string>>? perInstance = null)
    {
        var temp = new TempDirectory("wharf-cluster");
        var cluster = new WharfCluster(temp, await PostgreSqlDatabase.CreateAsync());
        try
        {
            for (var i = 0; i < count; i++)
            {
                var settings = new Dictionary<string, string>
                {
                    ["Wharf__Database__ConnectionString"] = cluster.Database.ConnectionString,
                    ["Wharf__ForwardedHeaders__KnownProxies"] = "127.0.0.1",
                };
                foreach (var (k, v) in environment ?? new Dictionary<string, string>()) settings[k] = v;
                foreach (var (k, v) in perInstance?.Invoke(i) ?? new Dictionary<string, string>()) settings[k] = v;
                cluster._instances.Add(new WharfProcess(cluster.RootDirectory, settings));
            }
            // The first alone (it creates the schema and the first Admin), then the others side by side.
            await cluster._instances[0].StartAsync();
            await Task.WhenAll(cluster._instances.Skip(1).Select(i => i.StartAsync()));
            cluster.Front = await ClusterFront.StartAsync(temp.Combine("nginx"), cluster._instances.Select(i => i.HostPort));
            RegistryLogins.Register(cluster.Front.HostPort, WharfProcess.DefaultAdminUser, WharfProcess.DefaultAdminPassword);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every instance's log, each under its address, for a failing test's output.</summary>
    public string Logs => string.Join('\n', _instances.Select(i => $"--- Wharf at {i.HostPort} ---\n{i.Log}"));

    public async ValueTask DisposeAsync()
    {
        if (Front is not null) await Front.DisposeAsync();
        foreach (var instance in _instances) await instance.DisposeAsync();
        await Database.DisposeAsync();
        _temp.Dispose();
    }
}
