using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Wharf.Bench;

/// <summary>
/// Writes a registry:2 data directory straight in distribution's on-disk layout (blob files plus the link files of the
/// repositories tree), as if distribution had stored and then deleted some of it: the input of the GC benchmark.
/// </summary>
/// <remarks>
/// <paramref name="manifests"/> Docker schema2 manifests over <paramref name="repositories"/> repositories, each with
/// its own config and two own layers plus one layer shared with another manifest; a pool of layers nobody references
/// brings the blob count to <paramref name="blobs"/>. Of the manifests, 80% are tagged, 10% untagged, and 10% deleted
/// (revision link gone, blobs and layer links left, as distribution's DELETE leaves them). Deterministic.
/// </remarks>
public sealed class DistributionDataGenerator(string root, int manifests, int blobs, int repositories)
{
    private const string ManifestType = "application/vnd.docker.distribution.manifest.v2+json";
    private const string ConfigType = "application/vnd.docker.container.image.v1+json";
    private const string LayerType = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public sealed record Summary(int Manifests, int Tagged, int Untagged, int Deleted, int Blobs);

    public Summary Generate()
    {
        var v2 = Path.Combine(root, "docker", "registry", "v2");
        var sharedLayers = manifests / 2;
        // Every manifest's own bytes and config, two own layers each, shared layers, and unreferenced ones to make up the count.
        var layerCount = Math.Max(blobs - 2 * manifests, 2 * manifests + sharedLayers);
        var layers = new (string Digest, long Size)[layerCount];
        for (var i = 0; i < layerCount; i++) layers[i] = WriteBlob(v2, Encoding.UTF8.GetBytes($"layer {i} " + new string('x', 32 + i % 64)));

        int tagged = 0, untagged = 0, deleted = 0;
        for (var m = 0; m < manifests; m++)
        {
            var repository = $"bench/repo{m % repositories:D3}";
            var config = WriteBlob(v2, Json(new JsonObject
            {
                ["architecture"] = "amd64",
                ["os"] = "linux",
                ["config"] = new JsonObject { ["Labels"] = new JsonObject { ["n"] = m.ToString() } },
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
            }));
            (string Digest, long Size)[] own = [layers[2 * m], layers[2 * m + 1], layers[2 * manifests + m % sharedLayers]];
            var manifest = WriteBlob(v2, Json(new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = ManifestType,
                ["config"] = Descriptor(ConfigType, config),
                ["layers"] = new JsonArray(own.Select(l => (JsonNode)Descriptor(LayerType, l)).ToArray()),
            }));

            var repo = Path.Combine(v2, "repositories", repository);
            foreach (var blob in own.Append(config)) WriteLink(Path.Combine(repo, "_layers", "sha256", Hex(blob.Digest), "link"), blob.Digest);
            switch (m % 10)
            {
                case 0:
                    deleted++; // DELETE removed the revision (and its tags); blobs and layer links stay
                    break;
                case 1:
                    untagged++;
                    WriteLink(Path.Combine(repo, "_manifests", "revisions", "sha256", Hex(manifest.Digest), "link"), manifest.Digest);
                    break;
                default:
                    tagged++;
                    WriteLink(Path.Combine(repo, "_manifests", "revisions", "sha256", Hex(manifest.Digest), "link"), manifest.Digest);
                    var tag = Path.Combine(repo, "_manifests", "tags", $"v{m}");
                    WriteLink(Path.Combine(tag, "current", "link"), manifest.Digest);
                    WriteLink(Path.Combine(tag, "index", "sha256", Hex(manifest.Digest), "link"), manifest.Digest);
                    break;
            }
        }
        // The unreferenced layers were uploaded somewhere: link them into the first repository.
        for (var i = 2 * manifests + sharedLayers; i < layerCount; i++)
            WriteLink(Path.Combine(v2, "repositories", "bench/repo000", "_layers", "sha256", Hex(layers[i].Digest), "link"), layers[i].Digest);
        return new Summary(manifests, tagged, untagged, deleted, layerCount + 2 * manifests);
    }

    private static (string Digest, long Size) WriteBlob(string v2, byte[] content)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        var directory = Path.Combine(v2, "blobs", "sha256", hex[..2], hex);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "data"), content);
        return ("sha256:" + hex, content.Length);
    }

    private static byte[] Json(JsonObject json) => Encoding.UTF8.GetBytes(json.ToJsonString());

    private static JsonObject Descriptor(string mediaType, (string Digest, long Size) blob) =>
        new() { ["mediaType"] = mediaType, ["size"] = blob.Size, ["digest"] = blob.Digest };

    private static void WriteLink(string path, string digest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, digest);
    }

    private static string Hex(string digest) => digest["sha256:".Length..];
}
