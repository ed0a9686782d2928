using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// Moving up, end to end: a SQLite deployment filled by real clients (skopeo pushes and pulls, a user and a grant
/// made with the command line) is copied with <c>wharf copy-to-postgresql</c>; every table arrives with all its rows,
/// and Wharf started on PostgreSQL over the same data directory serves every tag, signs the user in and applies the
/// grant. A second copy into the now non-empty database is refused.
/// </summary>
public sealed class MoveToPostgreSqlTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ViewerPassword = "alice-moves-to-postgresql";
    private readonly TempDirectory _temp = new("wharf-move");
    private PostgreSqlDatabase _target = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("sqlite3");
        _target = await PostgreSqlDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        _temp.Dispose();
    }

    private string Root => _temp.Combine("data");

    private Task<ExternalTool.Result> WharfCommandAsync(string command, IDictionary<string, string>? environment = null)
    {
        var settings = new Dictionary<string, string> { ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = Root, ["REGISTRY_LOG_LEVEL"] = "warn" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) settings[k] = v;
        return ExternalTool.RunAsync("bash", ["-c", $"{command}"], TimeSpan.FromMinutes(3), settings);
    }

    private static string Wharf => $"dotnet '{RepositoryRoot.WharfDll()}'";

    private static string PulledManifestDigest(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layoutDirectory, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    /// <summary>Rows per table of a SQLite file (its own bookkeeping and EF's migration history left out).</summary>
    private static async Task<Dictionary<string, long>> SqliteCountsAsync(string file)
    {
        var tables = await ExternalTool.RunAsync("sqlite3", [file, "SELECT name FROM sqlite_master WHERE type = 'table'"]);
        Assert.True(tables.ExitCode == 0, tables.All);
        var counts = new Dictionary<string, long>();
        foreach (var table in tables.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                     .Where(t => !t.StartsWith("sqlite_", StringComparison.Ordinal) && !t.StartsWith("__EF", StringComparison.Ordinal)))
        {
            var count = await ExternalTool.RunAsync("sqlite3", [file, $"SELECT count(*) FROM \"{table}\""]);
            counts[table] = long.Parse(count.Output.Trim());
        }
        return counts;
    }

    [Fact]
    public async Task A_populated_SQLite_deployment_moves_to_PostgreSQL_with_every_row_and_keeps_serving()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        var app = layout.AddImage("app", [(980, 200_000), (981, 100_000)]);
        var tool = layout.AddImage("tool", [(980, 200_000), (982, 150_000)]);
        var tags = new (string Reference, string Digest)[] { ("team/app:1.0", app.ManifestDigest), ("team/app:latest", app.ManifestDigest), ("team/tool:v2", tool.ManifestDigest) };

        await using (var sqlite = await WharfProcess.StartAsync(Root))
        {
            foreach (var (reference, digest) in tags)
                await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:{(digest == app.ManifestDigest ? "app" : "tool")}", $"docker://{sqlite.HostPort}/{reference}");
            var user = await WharfCommandAsync($"printf '%s\\n' '{ViewerPassword}' | {Wharf} users add alice --role Viewer --password-stdin");
            Assert.True(user.ExitCode == 0, user.All);
            var grant = await WharfCommandAsync($"{Wharf} grants add team/ --user alice --actions pull");
            Assert.True(grant.ExitCode == 0, grant.All);
            // alice may pull what the grant gives her.
            await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", $"alice:{ViewerPassword}", $"docker://{sqlite.HostPort}/team/app:1.0", $"oci:{_temp.Combine("alice-before")}:x");
        }

        var registryRows = await SqliteCountsAsync(Path.Combine(Root, "wharf", "registry.db"));
        var portalRows = await SqliteCountsAsync(Path.Combine(Root, "wharf", "portal.db"));
        Assert.Equal(3, registryRows["Tags"]);
        Assert.True(portalRows["AuditEntries"] > 0 && portalRows["RepositoryGrants"] > 0 && portalRows["AspNetUsers"] == 2, string.Join(", ", portalRows));

        var copy = await WharfCommandAsync($"{Wharf} copy-to-postgresql", new Dictionary<string, string> { ["WHARF_TARGET_DATABASE"] = _target.ConnectionString });
        output.WriteLine(copy.All);
        Assert.True(copy.ExitCode == 0, copy.All);
        Assert.Contains("registry: Tags: 3 rows", copy.Output);

        // Instance rows are not copied: they describe running processes, and each instance registers itself anew.
        Assert.Equal(0, await _target.ScalarAsync<long>("SELECT count(*) FROM \"ClusterInstances\""));
        foreach (var (table, rows) in registryRows.Concat(portalRows).Where(t => t.Key != "ClusterInstances"))
            Assert.True(rows == await _target.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""), $"{table}: {rows} rows in SQLite, not the same in PostgreSQL");
        Assert.Equal(["1.0", "latest", "v2"], (await _target.ColumnAsync("SELECT \"Name\" FROM \"Tags\" ORDER BY \"Name\"")).ToArray());
        Assert.Equal(["admin", "alice"], (await _target.ColumnAsync("SELECT \"UserName\" FROM \"AspNetUsers\" ORDER BY \"UserName\"")).ToArray());
        Assert.Contains("team", await _target.ColumnAsync("SELECT \"RepositoryPrefix\" FROM \"RepositoryGrants\""));
        // The pushes' audit rows and those of the command line's user and grant changes.
        var actors = await _target.ColumnAsync("SELECT \"Actor\" FROM \"AuditEntries\"");
        Assert.Contains("admin", actors);
        Assert.Contains(actors, a => a.StartsWith("cli:", StringComparison.Ordinal));

        // Wharf on PostgreSQL over the same data directory: every tag, the user's password and her grant.
        Directory.CreateDirectory(_temp.Combine("pulled"));
        await using (var moved = await WharfProcess.StartAsync(Root, new Dictionary<string, string> { ["Wharf__Database__ConnectionString"] = _target.ConnectionString }))
        {
            foreach (var (reference, digest) in tags)
            {
                var pulled = _temp.Combine("pulled", reference.Replace('/', '_').Replace(':', '_'));
                await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{moved.HostPort}/{reference}", $"oci:{pulled}:x");
                Assert.Equal(digest, PulledManifestDigest(pulled));
            }
            await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", $"alice:{ViewerPassword}", $"docker://{moved.HostPort}/team/tool:v2", $"oci:{_temp.Combine("alice-after")}:x");
            var push = await ExternalTool.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"alice:{ViewerPassword}", $"oci:{layout.Directory}:app", $"docker://{moved.HostPort}/team/app:alice");
            Assert.NotEqual(0, push.ExitCode);
        }

        var again = await WharfCommandAsync($"{Wharf} copy-to-postgresql", new Dictionary<string, string> { ["WHARF_TARGET_DATABASE"] = _target.ConnectionString });
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("is not empty", again.All);
    }
}
