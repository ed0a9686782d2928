using System.Text.RegularExpressions;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// <c>wharf garbage-collect</c> as an operator runs it, on a directory distribution 2.8 wrote and deleted from:
/// standard output carries the collection's lines and nothing else, standard error stays empty (no portal, no
/// start-up lines), and <c>--grace-period</c> decides what is listed as eligible and what as still inside the grace
/// period, each with its bytes.
/// </summary>
public sealed partial class GarbageCollectCommandOutputTests : IDisposable
{
    private readonly DistributionWrittenDirectory _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Prints_only_collection_lines_and_reports_what_the_grace_period_keeps_with_its_bytes()
    {
        var root = _store.Root;
        var layout = _store.Layout;
        layout.AddImage("kept", [(400, 90_000)]);
        var deleted = layout.AddImage("deleted", [(400, 90_000), (401, 70_000)]);
        var config = await _store.WriteAsync(async distribution =>
        {
            await distribution.PushAsync("kept", "app:kept");
            await distribution.PushAsync("deleted", "app:deleted");
            await distribution.DeleteAsync("app", deleted.ManifestDigest);
        });
        // The deleted image's manifest, config and own layer (its first layer is shared with the kept image), with
        // the sizes of their files.
        var unreferenced = new[] { deleted.ManifestDigest, deleted.Config.Digest, deleted.Layers[1].Digest }.ToDictionary(d => d, d =>
            new FileInfo(Path.Combine(root, "docker", "registry", "v2", "blobs", "sha256", d[7..9], d[7..], "data")).Length);

        // Imported just now, so everything is younger than an hour: listed as waiting, with its bytes, not as eligible.
        var waiting = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", "--dry-run", "--grace-period", "1h", config]);
        Assert.True(waiting.ExitCode == 0, waiting.All);
        Assert.Equal("", waiting.Error);
        var lines = waiting.Output.TrimEnd('\n').Split('\n');
        Assert.All(lines, line => Assert.True(CollectionLine().IsMatch(line), $"not a collection line: '{line}'"));
        Assert.DoesNotContain(lines, l => l.StartsWith("blob eligible for deletion: "));
        foreach (var (digest, size) in unreferenced)
            Assert.Contains(lines, l => Regex.IsMatch(l, $@"^blob inside the grace period: {digest}, {size} bytes, eligible from \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
        Assert.Contains(lines, l => l.StartsWith($"3 blobs ({unreferenced.Values.Sum()} bytes) and 0 manifests unreferenced but still inside the grace period"));

        // No grace period: the same two are eligible, and nothing waits.
        var eligible = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", "--dry-run", "--grace-period=0", config]);
        Assert.True(eligible.ExitCode == 0, eligible.All);
        Assert.Equal("", eligible.Error);
        lines = eligible.Output.TrimEnd('\n').Split('\n');
        Assert.All(lines, line => Assert.True(CollectionLine().IsMatch(line), $"not a collection line: '{line}'"));
        Assert.Equal(unreferenced.Keys.Order(), lines.Where(l => l.StartsWith("blob eligible for deletion: ")).Select(l => l["blob eligible for deletion: ".Length..]).Order());
        Assert.DoesNotContain(lines, l => l.Contains("inside the grace period"));
    }

    /// <summary>Every line the command may print: the reference's mark and eligibility lines, the grace period's, Wharf's summary.</summary>
    [GeneratedRegex("""
        ^(|[a-z0-9._/-]+
        |[a-z0-9._/-]+:\ marking\ (manifest|blob)\ sha256:[0-9a-f]{64}\ ?
        |\d+\ blobs\ marked,\ \d+\ blobs\ and\ \d+\ manifests\ eligible\ for\ deletion
        |(blob|manifest)\ eligible\ for\ deletion:\ sha256:[0-9a-f]{64}
        |(blob|manifest)\ inside\ the\ grace\ period:\ sha256:[0-9a-f]{64}(\ in\ \S+)?,\ \d+\ bytes,\ .+
        |\d+\ blobs\ \(\d+\ bytes\)\ and\ \d+\ manifests\ unreferenced\ but\ still\ inside\ the\ grace\ period:\ .+
        |dry\ run\ \d+:\ .+)$
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex CollectionLine();
}
