using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// bench/cluster.sh in its smoke mode (tiny sizes), so the cluster benchmark cannot rot between runs: it must start
/// one, two and three instances behind nginx and the reference, run every workload and print the whole table.
/// Figures are not checked: timing is the benchmark's business, not a test's.
/// </summary>
public sealed class ClusterBenchSmokeTests(ITestOutputHelper output)
{
    private static readonly string[] Rows =
    [
        "blob GET 256 KiB, 4 connections, 1 instance(s) behind nginx",
        "manifest GET by tag, 4 connections, 1 instance(s) behind nginx",
        "blob GET 256 KiB, 4 connections, 2 instance(s) behind nginx",
        "manifest GET by tag, 4 connections, 2 instance(s) behind nginx",
        "blob GET 256 KiB, 4 connections, 3 instance(s) behind nginx",
        "manifest GET by tag, 4 connections, 3 instance(s) behind nginx",
        "populate on SQLite, one instance: ",
        "populate on PostgreSQL, one instance: ",
        "populate on PostgreSQL, three instances behind nginx: ",
    ];

    [Fact]
    public async Task The_smoke_run_prints_every_row_of_the_table()
    {
        var script = Path.Combine(RepositoryRoot.Find(), "bench", "cluster.sh");
        RepositoryRoot.WharfDll();
        var result = await ExternalTool.RunAsync("bash", [script, "--smoke", "--no-build"], TimeSpan.FromMinutes(10));
        output.WriteLine(result.All);
        Assert.True(result.ExitCode == 0, $"bench/cluster.sh --smoke exited with {result.ExitCode}:\n{result.All}");

        var table = result.Output.Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| workload ", StringComparison.Ordinal))
            .Select(l => l[2..])
            .ToList();
        Assert.Equal(Rows.Length, table.Count);
        for (var i = 0; i < Rows.Length; i++)
        {
            Assert.StartsWith(Rows[i], table[i]);
            var cells = table[i].Split(" | ");
            Assert.True(double.TryParse(cells[2], System.Globalization.CultureInfo.InvariantCulture, out var wharf) && wharf > 0, $"row {i} has no figure for Wharf: {table[i]}");
            Assert.True(double.TryParse(cells[3], System.Globalization.CultureInfo.InvariantCulture, out var reference) && reference > 0, $"row {i} has no figure for the reference: {table[i]}");
        }
    }
}
