using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// Wharf's garbage collection against the reference: on a data directory Debian's docker-registry (distribution 2.8)
/// wrote and then deleted from, <c>wharf garbage-collect --dry-run</c> finds the same eligible blobs as
/// <c>docker-registry garbage-collect --dry-run</c>, and after each collects its own copy every remaining tag still pulls.
/// The one deliberate difference: under <c>--delete-untagged</c> distribution also deletes the children of a tagged
/// index (and their layers), which breaks the multi-platform image; Wharf keeps them.
/// </summary>
public sealed class GarbageCollectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly DistributionWrittenDirectory _store = new();

    public void Dispose() => _store.Dispose();

    private sealed record Eligible(HashSet<string> Blobs, HashSet<string> Manifests);

    private static Eligible Parse(string text)
    {
        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        HashSet<string> After(string prefix) => lines.Where(l => l.StartsWith(prefix)).Select(l => l[prefix.Length..]).ToHashSet();
        return new Eligible(After("blob eligible for deletion: "), After("manifest eligible for deletion: "));
    }

    private async Task<Eligible> DistributionGcAsync(string config, params string[] flags)
    {
        var result = await ExternalTool.RunAsync("docker-registry", ["garbage-collect", .. flags, config]);
        Assert.True(result.ExitCode == 0, result.All);
        return Parse(result.Output);
    }

    private async Task<Eligible> WharfGcAsync(string config, params string[] flags)
    {
        var result = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", .. flags, config],
            environment: new Dictionary<string, string> { ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00" });
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Matches(@"\n\d+ blobs marked, \d+ blobs and \d+ manifests eligible for deletion\n", result.Output);
        output.WriteLine($"wharf garbage-collect {string.Join(' ', flags)}: {result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()}");
        return Parse(result.Output);
    }

    [Fact]
    public async Task Wharf_finds_the_blobs_distribution_finds_and_after_collecting_every_tag_still_pulls()
    {
        var root = _store.Root;
        var layout = _store.Layout;
        layout.AddImage("web", [(300, 150_000), (301, 120_000)]);
        layout.AddImage("api", [(300, 150_000), (302, 90_000)]);
        var old = layout.AddImage("old", [(300, 150_000), (303, 80_000)]);
        var v1 = layout.AddImage("v1", [(304, 70_000)]);
        layout.AddImage("v2", [(304, 70_000), (305, 60_000)]);
        var (_, multiChildren) = layout.AddIndex("multi", [("amd64", [(306, 50_000)]), ("arm64", [(307, 50_000)])]);
        var (goneIndex, _) = layout.AddIndex("gone", [("amd64", [(308, 40_000)]), ("arm64", [(309, 40_000)])]);
        string[] tags = ["shop/web:1", "shop/api:1", "shop/app:latest", "base/multi:1"];

        // Distribution writes the directory: pushes, a manifest deleted by digest, a tag moved (leaving v1 untagged),
        // and an index deleted by digest (leaving its children untagged).
        var config = await _store.WriteAsync(async distribution =>
        {
            foreach (var (source, target) in new[]
                     {
                         ("web", "shop/web:1"), ("api", "shop/api:1"), ("old", "shop/old:1"), ("v1", "shop/app:latest"),
                         ("v2", "shop/app:latest"), ("multi", "base/multi:1"), ("gone", "base/gone:1"),
                     })
                await distribution.PushAsync(source, target, "--all");
            await distribution.DeleteAsync("shop/old", old.ManifestDigest);
            await distribution.DeleteAsync("base/gone", goneIndex);
        });

        // The reference's answers, with its server stopped (its GC is only correct then), and two copies of the
        // directory for it to collect later.
        var reference = await DistributionGcAsync(config, "--dry-run");
        var referenceUntagged = await DistributionGcAsync(config, "--dry-run", "--delete-untagged");
        Assert.Empty(reference.Manifests);
        Assert.Contains(v1.ManifestDigest, referenceUntagged.Manifests);
        var copy = _store.Temp.Combine("copy-for-distribution");
        var copyUntagged = _store.Temp.Combine("copy-for-distribution-untagged");
        foreach (var target in new[] { copy, copyUntagged })
            Assert.Equal(0, (await ExternalTool.RunAsync("cp", ["-a", root, target])).ExitCode);

        // Wharf serves the directory (importing it), and its command line previews while it serves.
        // (Registry authentication is not what this test is about: the server runs open.)
        await using var wharf = new WharfProcess(root, new Dictionary<string, string> { ["Wharf__Auth__Mode"] = "none" }, configFile: config);
        await wharf.StartAsync();
        var blobsBefore = BlobFiles(root);
        var wharfPlain = await WharfGcAsync(config, "--dry-run");
        Assert.Equal(reference.Blobs.Order(), wharfPlain.Blobs.Order());
        Assert.Empty(wharfPlain.Manifests);

        // --delete-untagged: the same, except what distribution takes from the tagged multi-platform image.
        var wharfUntagged = await WharfGcAsync(config, "--dry-run", "--delete-untagged");
        var children = multiChildren.Select(c => c.ManifestDigest).ToHashSet();
        var childBlobs = multiChildren.SelectMany(c => c.Layers.Append(c.Config)).Select(b => b.Digest).ToHashSet();
        Assert.Equal(referenceUntagged.Manifests.Except(children).Order(), wharfUntagged.Manifests.Order());
        Assert.Equal(referenceUntagged.Blobs.Except(childBlobs).Order(), wharfUntagged.Blobs.Order());
        Assert.Superset(children, referenceUntagged.Manifests);
        Assert.Superset(childBlobs, referenceUntagged.Blobs);
        Assert.Equal(blobsBefore, BlobFiles(root)); // dry runs delete nothing

        // Wharf collects, with --delete-untagged, while serving; then every tag pulls completely from it.
        await WharfGcAsync(config, "--delete-untagged");
        Assert.Equal(blobsBefore.Except(wharfUntagged.Blobs).Order(), BlobFiles(root).Order());
        foreach (var tag in tags) await PullAsync(wharf.HostPort, tag);
        using (var http = new RegistryHttp(wharf.HostPort))
            Assert.Equal(404, (await http.ManifestAsync("shop/app", v1.ManifestDigest)).Status);

        // Distribution collects its copy (stopped, as it requires), and serves every tag afterwards too.
        await using (var distribution = await DistributionRegistry.StartAsync(copy, _store.Temp.Path))
        {
            await distribution.StopAsync();
            await DistributionGcAsync(distribution.ConfigFile);
            Assert.Equal(blobsBefore.Except(reference.Blobs).Order(), BlobFiles(copy).Order());
            await distribution.StartAsync();
            foreach (var tag in tags) await PullAsync(distribution.HostPort, tag);
        }

        // Why Wharf differs: distribution's --delete-untagged leaves the multi-platform image unpullable.
        await using (var distribution = await DistributionRegistry.StartAsync(copyUntagged, _store.Temp.Path))
        {
            await distribution.StopAsync();
            await DistributionGcAsync(distribution.ConfigFile, "--delete-untagged");
            await distribution.StartAsync();
            var broken = await ExternalTool.SkopeoAsync("copy", "--all", "--src-tls-verify=false",
                $"docker://{distribution.HostPort}/base/multi:1", $"oci:{_store.Temp.Combine("broken")}:x");
            Assert.NotEqual(0, broken.ExitCode);
        }
    }

    [Fact]
    public async Task A_collection_killed_mid_sweep_leaves_nothing_inconsistent_and_the_next_run_finishes_it()
    {
        var root = _store.Temp.Combine("root");
        var open = new Dictionary<string, string> { ["Wharf__Auth__Mode"] = "none" };
        await using var wharf = await WharfProcess.StartAsync(root, open);
        var layout = _store.Layout;
        layout.AddImage("app", [(400, 300_000), (401, 200_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:app", $"docker://{wharf.HostPort}/team/app:1");
        // Uploads no manifest references: 1,500 small blobs for the sweep to delete.
        using var http = new RegistryHttp(wharf.HostPort);
        var junk = Enumerable.Range(0, 1500).Select(i => System.Text.Encoding.UTF8.GetBytes($"unreferenced blob {i}")).ToList();
        await Parallel.ForEachAsync(junk, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (blob, _) =>
        {
            using var body = new ByteArrayContent(blob);
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
            using var response = await http.Client.PostAsync($"/v2/junk/blobs/uploads/?digest={RegistryHttp.Sha256(blob)}", body);
            Assert.Equal(201, (int)response.StatusCode);
        });
        var junkDigests = junk.Select(RegistryHttp.Sha256).ToHashSet();
        int JunkLeft() => BlobFiles(root).Count(junkDigests.Contains);

        // A collection in small batches, killed (SIGKILL) once it has deleted a hundred of them, while Wharf serves.
        var environment = new Dictionary<string, string>(open)
        {
            ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = root,
            ["Wharf__GarbageCollection__GracePeriod"] = "00:00:00",
            ["Wharf__GarbageCollection__SweepBatchSize"] = "5",
        };
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepositoryRoot.WharfDll());
        info.ArgumentList.Add("garbage-collect");
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using (var collector = System.Diagnostics.Process.Start(info)!)
        {
            _ = collector.StandardOutput.ReadToEndAsync();
            _ = collector.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (JunkLeft() > junk.Count - 100 && !collector.HasExited && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.False(collector.HasExited, "the collection ended before it could be killed mid-sweep");
            collector.Kill();
            await collector.WaitForExitAsync();
        }
        var left = JunkLeft();
        output.WriteLine($"killed with {junk.Count - left} of {junk.Count} unreferenced blobs deleted");
        Assert.InRange(left, 1, junk.Count - 100);

        // Meanwhile the server answers consistently: a blob is there exactly when its file is; the image pulls.
        foreach (var digest in junkDigests.Take(300))
        {
            using var head = await http.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/junk/blobs/{digest}"));
            Assert.Equal(BlobFiles(root).Contains(digest) ? 200 : 404, (int)head.StatusCode);
        }
        await PullAsync(wharf.HostPort, "team/app:1");

        // The next run finishes the job: every unreferenced blob gone, records of deleted files dropped, so a dry run
        // afterwards finds nothing at all.
        var next = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect"], environment: environment);
        Assert.True(next.ExitCode == 0, next.All);
        Assert.Equal(0, JunkLeft());
        var after = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", "--dry-run"], environment: environment);
        Assert.Matches(@"\d+ blobs marked, 0 blobs and 0 manifests eligible for deletion", after.Output);
        await PullAsync(wharf.HostPort, "team/app:1");
    }

    private async Task PullAsync(string hostPort, string tag)
    {
        var target = _store.Temp.Combine("pulled-" + Guid.NewGuid().ToString("N"));
        await ExternalTool.SkopeoOkAsync("copy", "--all", "--src-tls-verify=false", $"docker://{hostPort}/{tag}", $"oci:{target}:x");
        Directory.Delete(target, recursive: true);
    }

    private static HashSet<string> BlobFiles(string root) =>
        Directory.GetFiles(Path.Combine(root, "docker", "registry", "v2", "blobs", "sha256"), "data", SearchOption.AllDirectories)
            .Select(f => "sha256:" + Path.GetFileName(Path.GetDirectoryName(f)!)).ToHashSet();
}
