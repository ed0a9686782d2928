using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// Wharf started on a data directory that Debian's docker-registry (distribution 2.8) wrote serves every tag with the
/// same digests, reading distribution's own config.yml, and copies no blob.
/// </summary>
public sealed class ImportTests : IDisposable
{
    private readonly DistributionWrittenDirectory _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Registry2_data_directory_is_served_as_is()
    {
        var root = _store.Root;
        var layout = _store.Layout;
        layout.AddImage("web", [(100, 200_000), (101, 300_000)]);
        layout.AddImage("worker", [(100, 200_000), (102, 150_000)]);
        layout.AddIndex("multi", [("amd64", [(103, 90_000)]), ("arm64", [(104, 90_000)])]);

        // Fill the reference registry, and note what digests it serves for each tag.
        var expected = new Dictionary<string, string>();
        var config = await _store.WriteAsync(async distribution =>
        {
            async Task Push(string source, string target, params string[] flags)
            {
                await distribution.PushAsync(source, target, flags);
                expected[target] = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{distribution.HostPort}/{target}");
            }
            await Push("web", "shop/web:1.0");
            await Push("web", "shop/web:latest");
            await Push("worker", "shop/worker:2", "--format", "v2s2");
            await Push("multi", "base/multi:3", "--all");
            await Push("worker", "tools:edge");
        });
        var blobsBefore = ListBlobFiles(root);

        // Start Wharf with distribution's own config file (only the address overridden, the REGISTRY_* way).
        await using var wharf = new WharfProcess(root, new Dictionary<string, string>(), configFile: config);
        await wharf.StartAsync();
        Assert.Contains("Import of the distribution data directory done: 4 repositories", wharf.Log);

        foreach (var (reference, digest) in expected)
        {
            var served = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{wharf.HostPort}/{reference}");
            Assert.Equal(digest.Trim(), served.Trim());
            await ExternalTool.SkopeoOkAsync("copy", "--all", "--src-tls-verify=false", $"docker://{wharf.HostPort}/{reference}", $"oci:{_store.Temp.Combine("pulled-" + reference.Replace('/', '_').Replace(':', '_'))}:x");
        }
        using var http = new RegistryHttp(wharf.HostPort);
        Assert.Equal(["base/multi", "shop/web", "shop/worker", "tools"], await http.CatalogAsync());
        Assert.Equal(["1.0", "latest"], await http.TagsAsync("shop/web"));
        Assert.Equal(blobsBefore, ListBlobFiles(root));
    }

    private static string[] ListBlobFiles(string root) =>
        Directory.GetFiles(Path.Combine(root, "docker", "registry", "v2", "blobs"), "data", SearchOption.AllDirectories)
            .Select(f => $"{f}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}").Order().ToArray();
}
