using System.Text.RegularExpressions;
using Wharf.Portal.Hosting;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Gc.GcTestSupport;

namespace Wharf.Tests.Unit.Gc;

/// <summary>
/// <c>wharf garbage-collect</c> prints the reference registry's lines, then its own summary, and works while another
/// Wharf host serves the same store.
/// </summary>
public sealed partial class GarbageCollectCommandTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new() { Settings = [NoGrace] };
    private readonly KnownGraph _graph = new();

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        using var client = _host.CreateClient();
        await _graph.PushAsync(client, _host.RootDirectory);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<(int Exit, string[] Lines)> RunAsync(params string[] flags) => RunWithAsync([], flags);

    private async Task<(int Exit, string[] Lines)> RunWithAsync(string[] settings, params string[] flags)
    {
        var output = new StringWriter();
        var exit = await GarbageCollectCommand.RunAsync(["--registry:storage:filesystem:rootdirectory=" + _host.RootDirectory, NoGrace, .. _host.Database.HostSettings, .. settings],
            null, flags, output);
        return (exit, output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray());
    }

    [Fact]
    public async Task Items_inside_the_grace_period_are_listed_with_their_bytes()
    {
        var (exit, lines) = await RunWithAsync(["--Wharf:GarbageCollection:GracePeriod=01:00:00"], "--dry-run");

        Assert.Equal(0, exit);
        Assert.Empty(Listed(lines, "blob eligible for deletion: "));
        var waiting = lines.Where(l => l.StartsWith("blob inside the grace period: ")).ToList();
        Assert.Equal(_graph.EligibleBlobs(), waiting.Select(l => l["blob inside the grace period: ".Length..].Split(',')[0]).ToHashSet());
        foreach (var line in waiting)
        {
            var digest = line["blob inside the grace period: ".Length..].Split(',')[0];
            var path = BlobPath(_host.RootDirectory, digest);
            var bytes = File.Exists(path) ? new FileInfo(path).Length : 0;
            Assert.Matches($@"^blob inside the grace period: {digest}, {bytes} bytes, eligible from \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", line);
        }
        Assert.Contains(lines, l => l.StartsWith($"{waiting.Count} blobs (") && l.Contains("still inside the grace period"));
    }

    private static HashSet<string> Listed(string[] lines, string prefix) =>
        lines.Where(l => l.StartsWith(prefix)).Select(l => l[prefix.Length..]).ToHashSet();

    [Fact]
    public async Task Dry_run_prints_the_reference_lines_and_a_summary()
    {
        var (exit, lines) = await RunAsync("--dry-run");

        Assert.Equal(0, exit);
        Assert.Equal(_graph.EligibleBlobs(), Listed(lines, "blob eligible for deletion: "));
        Assert.Empty(Listed(lines, "manifest eligible for deletion: "));
        Assert.Contains($"{KnownGraph.App}: marking manifest {_graph.Img1.Digest} ", lines);
        Assert.Contains($"{KnownGraph.App}: marking blob {Digests.Sha256(KnownGraph.L1)}", lines);
        Assert.Single(lines, l => l.EndsWith($": marking blob {Digests.Sha256(KnownGraph.Shared)}")); // once, where first seen
        Assert.Contains(KnownGraph.Tool, lines);
        var count = Array.FindIndex(lines, l => CountLine().IsMatch(l));
        Assert.True(count > 0 && lines[count - 1] == "", "the count line follows an empty line, as the reference prints it");
        Assert.Matches($@"^\d+ blobs marked, {_graph.EligibleBlobs().Count} blobs and 0 manifests eligible for deletion$", lines[count]);
        Assert.Matches(@"^dry run \d+: 0 manifests and 6 blobs eligible for deletion, \d+ bytes reclaimable, 0 abandoned upload sessions; report stored, in [0-9.]+ s$",
            lines.Last(l => l.Length > 0));
        Assert.All(_graph.EligibleBlobs().Where(d => d != Digests.Sha256(KnownGraph.Lost)), d => Assert.True(File.Exists(BlobPath(_host.RootDirectory, d))));
    }

    [Fact]
    public async Task Delete_untagged_lists_manifests_and_collecting_deletes_them_while_another_host_serves()
    {
        var (_, preview) = await RunAsync("-d", "-m");
        Assert.Equal(_graph.EligibleManifestsUntagged().Select(m => m.Digest).ToHashSet(), Listed(preview, "manifest eligible for deletion: "));
        Assert.Equal(_graph.EligibleBlobsUntagged(), Listed(preview, "blob eligible for deletion: "));

        var (exit, lines) = await RunAsync("--delete-untagged");

        Assert.Equal(0, exit);
        Assert.Matches(@$"^run \d+: deleted 5 manifests and {_graph.EligibleBlobsUntagged().Count} blobs, freed \d+ bytes, 0 kept as in use again, purged 0 abandoned upload sessions, in [0-9.]+ s$",
            lines.Last(l => l.Length > 0));
        Assert.Empty(BlobFiles(_host.RootDirectory).Intersect(_graph.EligibleBlobsUntagged()));
        using var client = _host.CreateClient();
        foreach (var (repository, tag) in KnownGraph.Tags) await PullCompletelyAsync(client, repository, tag);
        await AssertStoreConsistentAsync(_host);
    }

    [GeneratedRegex(@"^\d+ blobs marked, \d+ blobs and \d+ manifests eligible for deletion$")]
    private static partial Regex CountLine();
}
