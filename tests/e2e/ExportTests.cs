using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// The way back to registry:2, and an import that does not undo Wharf's work. Debian's docker-registry
/// (distribution 2.8) fills a directory; Wharf serves it, takes a push, moves a tag, deletes a tag and a whole
/// repository. <c>wharf import</c> then refuses (the metadata is not empty), and <c>wharf import --merge</c> changes
/// nothing Wharf did since. After <c>wharf export</c>, distribution on the same directory serves exactly Wharf's
/// repositories, tags, manifests and blobs, and its <c>garbage-collect --dry-run</c> lists nothing Wharf serves.
/// </summary>
public sealed class ExportTests : IDisposable
{
    private readonly DistributionWrittenDirectory _store = new();

    public void Dispose() => _store.Dispose();

    /// <summary>What a registry serves: repositories, each tag's digest, each manifest's bytes and every blob they reference.</summary>
    private sealed record Served(string[] Repositories, Dictionary<string, string> TagDigests, Dictionary<string, string> Manifests, SortedSet<string> Blobs)
    {
        public IEnumerable<string> Digests => Manifests.Keys.Select(k => k.Split('@')[1]).Concat(Blobs);
    }

    private static async Task<Served> ReadAsync(string hostPort)
    {
        using var http = new RegistryHttp(hostPort);
        var repositories = await http.CatalogAsync();
        var tags = new Dictionary<string, string>();
        var manifests = new Dictionary<string, string>();
        var blobs = new SortedSet<string>(StringComparer.Ordinal);
        async Task ReadManifestAsync(string repository, string digest)
        {
            var (content, served, _, status) = await http.ManifestAsync(repository, digest);
            Assert.True(status == 200, $"{hostPort}: {repository}@{digest} answered {status}");
            Assert.Equal(digest, served);
            Assert.Equal(digest, RegistryHttp.Sha256(content));
            if (!manifests.TryAdd($"{repository}@{digest}", Convert.ToBase64String(content))) return;
            using var json = JsonDocument.Parse(content);
            if (json.RootElement.TryGetProperty("manifests", out var children))
                foreach (var child in children.EnumerateArray()) await ReadManifestAsync(repository, child.GetProperty("digest").GetString()!);
            var referenced = new List<string>();
            if (json.RootElement.TryGetProperty("config", out var config)) referenced.Add(config.GetProperty("digest").GetString()!);
            if (json.RootElement.TryGetProperty("layers", out var layers)) referenced.AddRange(layers.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
            foreach (var blob in referenced)
            {
                var bytes = await http.Client.GetByteArrayAsync($"/v2/{repository}/blobs/{blob}");
                Assert.Equal(blob, RegistryHttp.Sha256(bytes));
                blobs.Add($"{repository}@{blob}");
            }
        }
        foreach (var repository in repositories)
            foreach (var tag in await http.TagsAsync(repository))
            {
                var (_, digest, _, status) = await http.ManifestAsync(repository, tag);
                Assert.True(status == 200 && digest is not null, $"{hostPort}: {repository}:{tag} answered {status}");
                tags[$"{repository}:{tag}"] = digest!;
                await ReadManifestAsync(repository, digest!);
            }
        return new Served(repositories, tags, manifests, blobs);
    }

    private static void AssertSame(Served expected, Served actual)
    {
        Assert.Equal(expected.Repositories, actual.Repositories);
        Assert.Equal(expected.TagDigests.OrderBy(t => t.Key), actual.TagDigests.OrderBy(t => t.Key));
        Assert.Equal(expected.Manifests.OrderBy(m => m.Key), actual.Manifests.OrderBy(m => m.Key));
        Assert.Equal(expected.Blobs, actual.Blobs);
    }

    private static Task<ExternalTool.Result> WharfAsync(params string[] arguments) =>
        ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), .. arguments]);

    [Fact]
    public async Task Distribution_serves_what_Wharf_served_after_an_export_and_a_merge_reverts_nothing()
    {
        var root = _store.Root;
        var layout = _store.Layout;
        layout.AddImage("web", [(200, 120_000), (201, 80_000)]);
        layout.AddImage("worker", [(200, 120_000), (202, 60_000)]);
        layout.AddImage("web2", [(203, 70_000)]);
        layout.AddIndex("multi", [("amd64", [(204, 50_000)]), ("arm64", [(205, 50_000)])]);

        var config = await _store.WriteAsync(async distribution =>
        {
            await distribution.PushAsync("web", "shop/web:1.0");
            await distribution.PushAsync("web", "shop/web:latest");
            await distribution.PushAsync("worker", "shop/worker:2", "--format", "v2s2");
            await distribution.PushAsync("worker", "tools:edge");
            await distribution.PushAsync("multi", "base/multi:3", "--all");
        });

        // Wharf serves the directory (importing it at the first start) and changes it.
        Served wharfServed;
        await using (var wharf = new WharfProcess(root, configFile: config))
        {
            await wharf.StartAsync();
            using var http = new RegistryHttp(wharf.HostPort);
            await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:web2", $"docker://{wharf.HostPort}/shop/web:2.0");
            await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:worker", $"docker://{wharf.HostPort}/shop/web:latest");
            var tools = await http.ManifestAsync("tools", "edge");
            using (var deleted = await http.DeleteManifestAsync("tools", tools.Digest!)) Assert.True(deleted.IsSuccessStatusCode);
            var web = await http.ManifestAsync("shop/web", "1.0");
            using (var deleted = await http.DeleteManifestAsync("shop/web", "1.0")) Assert.True(deleted.IsSuccessStatusCode);
            // Untagged now (latest moved): its own config and layer are referenced by nothing Wharf keeps.
            using (var deleted = await http.DeleteManifestAsync("shop/web", web.Digest!)) Assert.True(deleted.IsSuccessStatusCode);
            wharfServed = await ReadAsync(wharf.HostPort);
        }
        Assert.Equal(["base/multi", "shop/web", "shop/worker"], wharfServed.Repositories);
        Assert.Equal(["shop/web:2.0", "shop/web:latest"], wharfServed.TagDigests.Keys.Where(k => k.StartsWith("shop/web:")).Order());

        // An import over the served directory refuses; a merge keeps every change Wharf made since the first import.
        var refused = await WharfAsync("import", config);
        Assert.True(refused.ExitCode == 2, refused.All);
        Assert.Contains("wharf import --merge", refused.Error);
        var merged = await WharfAsync("import", "--merge", config);
        Assert.True(merged.ExitCode == 0, merged.All);
        Assert.Matches(@"^imported 4 repositories, 0 manifests, 0 tags, 0 layer links \(\d+ entries skipped, [1-9]\d* kept as Wharf has them", merged.Output);
        await using (var wharf = new WharfProcess(root, configFile: config))
        {
            await wharf.StartAsync();
            AssertSame(wharfServed, await ReadAsync(wharf.HostPort));
        }

        // The way back.
        var exported = await WharfAsync("export", config);
        Assert.True(exported.ExitCode == 0, exported.All);
        Assert.StartsWith("exported 3 repositories, 4 tags", exported.Output);
        await using (var distribution = await DistributionRegistry.StartAsync(root, _store.Temp.Path))
        {
            AssertSame(wharfServed, await ReadAsync(distribution.HostPort));
            config = distribution.ConfigFile;
        }
        var gc = await ExternalTool.RunAsync("docker-registry", ["garbage-collect", "--dry-run", config]);
        Assert.True(gc.ExitCode == 0, gc.All);
        var eligible = gc.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("blob eligible for deletion: "))
            .Select(l => l["blob eligible for deletion: ".Length..]).ToHashSet();
        var served = wharfServed.Digests.Select(d => d.Split('@').Last()).ToHashSet();
        Assert.Empty(eligible.Intersect(served));
        // What it lists is what Wharf's own collection would delete: the deleted web image's config and layer.
        Assert.NotEmpty(eligible);
        var wharfGc = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", "--dry-run", "--grace-period", "0", config]);
        Assert.True(wharfGc.ExitCode == 0, wharfGc.All);
        Assert.Equal(wharfGc.Output.Split('\n').Where(l => l.StartsWith("blob eligible for deletion: ")).Select(l => l["blob eligible for deletion: ".Length..].Trim()).ToHashSet(),
            eligible);
    }
}
