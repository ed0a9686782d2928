using System.Security.Cryptography;
using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>skopeo pushes to and pulls from a running Wharf: OCI, Docker schema2, multi-platform, mounts, deletes.</summary>
public sealed class SkopeoRoundTripTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private OciLayout _layout = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"));
        _layout = new OciLayout(_temp.Combine("images"));
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    private string Docker(string reference) => $"docker://{_wharf.HostPort}/{reference}";
    private string Oci(string tag) => $"oci:{_layout.Directory}:{tag}";

    private static Task<string> Copy(params string[] args) =>
        ExternalTool.SkopeoOkAsync(["copy", "--src-tls-verify=false", "--dest-tls-verify=false", .. args]);

    private static async Task<string> RawManifestDigestAsync(string reference)
    {
        var raw = await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--raw", reference);
        return RegistryHttp.Sha256(System.Text.Encoding.UTF8.GetBytes(raw));
    }

    [Fact]
    public async Task Multi_layer_OCI_image_round_trips_with_identical_digests()
    {
        var image = _layout.AddImage("app", [(1, 300_000), (2, 1_200_000), (3, 50_000)]);
        await Copy(Oci("app"), Docker("team/app:1.0"));

        using var http = new RegistryHttp(_wharf.HostPort);
        var (content, digest, mediaType, status) = await http.ManifestAsync("team/app", "1.0");
        Assert.Equal(200, status);
        Assert.Equal(image.ManifestDigest, digest);
        Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(content));
        Assert.Equal(OciLayout.ManifestType, mediaType);

        var pulled = _temp.Combine("pulled-oci");
        await Copy(Docker("team/app:1.0"), $"oci:{pulled}:app");
        foreach (var blob in image.Layers.Append(image.Config))
        {
            var path = Path.Combine(pulled, "blobs", "sha256", blob.Digest["sha256:".Length..]);
            Assert.True(File.Exists(path), $"pulled image lacks {blob.Digest}");
            Assert.Equal(blob.Digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
        }
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(pulled, "index.json")));
        Assert.Equal(image.ManifestDigest, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Docker_schema2_image_round_trips()
    {
        _layout.AddImage("legacy", [(10, 200_000), (11, 400_000)]);
        await Copy("--format", "v2s2", Oci("legacy"), Docker("team/legacy:v2"));

        using var http = new RegistryHttp(_wharf.HostPort);
        var (content, digest, mediaType, _) = await http.ManifestAsync("team/legacy", "v2");
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", mediaType);
        Assert.Equal(RegistryHttp.Sha256(content), digest);

        var pulled = _temp.Combine("pulled-v2s2");
        await Copy(Docker("team/legacy:v2"), $"dir:{pulled}");
        Assert.Equal(digest, RegistryHttp.Sha256(await File.ReadAllBytesAsync(Path.Combine(pulled, "manifest.json"))));
        Assert.Equal(digest, await RawManifestDigestAsync(Docker("team/legacy:v2")));
    }

    [Fact]
    public async Task Two_platform_index_round_trips_with_all()
    {
        var (indexDigest, images) = _layout.AddIndex("multi", [("amd64", [(20, 100_000), (21, 80_000)]), ("arm64", [(22, 100_000), (21, 80_000)])]);
        await Copy("--all", Oci("multi"), Docker("team/multi:latest"));

        Assert.Equal(indexDigest, await RawManifestDigestAsync(Docker("team/multi:latest")));
        using var http = new RegistryHttp(_wharf.HostPort);
        foreach (var image in images)
        {
            var (content, digest, _, status) = await http.ManifestAsync("team/multi", image.ManifestDigest);
            Assert.Equal(200, status);
            Assert.Equal(image.ManifestDigest, digest);
            Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(content));
        }

        var pulled = _temp.Combine("pulled-multi");
        await Copy("--all", Docker("team/multi:latest"), $"oci:{pulled}:multi");
        foreach (var blob in images.SelectMany(i => i.Layers))
            Assert.True(File.Exists(Path.Combine(pulled, "blobs", "sha256", blob.Digest["sha256:".Length..])), $"missing {blob.Digest}");
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(pulled, "index.json")));
        Assert.Equal(indexDigest, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Copy_between_repositories_mounts_layers_instead_of_uploading_them()
    {
        var image = _layout.AddImage("shared", [(30, 500_000), (31, 700_000)]);
        await Copy(Oci("shared"), Docker("team/source:1"));
        await Copy(Docker("team/source:1"), Docker("team/target:1"));

        foreach (var layer in image.Layers)
        {
            Assert.Contains(_wharf.Log.Split('\n'), l => l.Contains("BlobMounted team/target") && l.Contains(layer.Digest));
            Assert.DoesNotContain(_wharf.Log.Split('\n'), l => l.Contains("BlobUploaded team/target") && l.Contains(layer.Digest));
        }
        Assert.Equal(image.ManifestDigest, await RawManifestDigestAsync(Docker("team/target:1")));
    }

    [Fact]
    public async Task Deleted_manifest_no_longer_pulls()
    {
        var image = _layout.AddImage("doomed", [(40, 100_000)]);
        await Copy(Oci("doomed"), Docker("team/doomed:1"));
        await Copy(Oci("doomed"), Docker("team/doomed:2"));

        using var http = new RegistryHttp(_wharf.HostPort);
        using (var response = await http.DeleteManifestAsync("team/doomed", image.ManifestDigest))
            Assert.Equal(202, (int)response.StatusCode);

        var result = await ExternalTool.SkopeoAsync("inspect", "--tls-verify=false", Docker("team/doomed:1"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("manifest unknown", result.All, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await http.TagsAsync("team/doomed"));
        Assert.DoesNotContain("team/doomed", await http.CatalogAsync());
        var (_, _, _, status) = await http.ManifestAsync("team/doomed", image.ManifestDigest);
        Assert.Equal(404, status);
    }
}
