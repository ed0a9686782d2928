using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// A registry:2 data directory written straight in distribution's layout, which both registries start on (Wharf
/// imports it on first start): <paramref name="repositories"/> repositories in all, <c>list/rNNNNN</c> with one
/// tag <c>v1</c> each and <c>list/tags</c> with <paramref name="tags"/> tags, all on one small OCI image. It is the
/// data of the catalog and tag-list workloads, and the many repositories the token workload pulls from.
/// </summary>
public sealed class ListingData(string root, int repositories, int tags)
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string TagsRepository = "list/tags";

    public static string Repository(int i) => $"list/r{i:D5}";

    public sealed record Image(string Manifest, string Config, string Layer, byte[] ManifestBytes);

    public Image Generate()
    {
        var v2 = Path.Combine(root, "docker", "registry", "v2");
        var layerBytes = new byte[4096];
        new Random(42).NextBytes(layerBytes);
        var layer = WriteBlob(v2, layerBytes);
        var config = WriteBlob(v2, Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""));
        var manifestBytes = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)),
        }.ToJsonString());
        var manifest = WriteBlob(v2, manifestBytes);

        for (var i = 0; i < repositories - 1; i++) WriteRepository(v2, Repository(i), ["v1"], manifest.Digest, config.Digest, layer.Digest);
        WriteRepository(v2, TagsRepository, Enumerable.Range(0, tags).Select(t => $"t{t:D5}"), manifest.Digest, config.Digest, layer.Digest);
        return new Image(manifest.Digest, config.Digest, layer.Digest, manifestBytes);
    }

    private static void WriteRepository(string v2, string name, IEnumerable<string> tagNames, string manifest, string config, string layer)
    {
        var repo = Path.Combine(v2, "repositories", name);
        foreach (var blob in new[] { config, layer }) WriteLink(Path.Combine(repo, "_layers", "sha256", Hex(blob), "link"), blob);
        WriteLink(Path.Combine(repo, "_manifests", "revisions", "sha256", Hex(manifest), "link"), manifest);
        foreach (var tag in tagNames)
        {
            var dir = Path.Combine(repo, "_manifests", "tags", tag);
            WriteLink(Path.Combine(dir, "current", "link"), manifest);
            WriteLink(Path.Combine(dir, "index", "sha256", Hex(manifest), "link"), manifest);
        }
    }

    private static (string Digest, long Size) WriteBlob(string v2, byte[] content)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        var directory = Path.Combine(v2, "blobs", "sha256", hex[..2], hex);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "data"), content);
        return ("sha256:" + hex, content.Length);
    }

    private static JsonObject Descriptor(string mediaType, (string Digest, long Size) blob) =>
        new() { ["mediaType"] = mediaType, ["size"] = blob.Size, ["digest"] = blob.Digest };

    private static void WriteLink(string path, string digest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, digest);
    }

    private static string Hex(string digest) => digest["sha256:".Length..];
}
