using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// Writes real OCI image layouts (the <c>oci:DIR:TAG</c> transport skopeo reads): gzip'd tar layers with the right
/// diff IDs, an image config, manifests and, for several platforms, an index. Layers come from a seed, so two
/// images built with the same seed share that layer byte for byte.
/// </summary>
public sealed class OciLayout
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexType = "application/vnd.oci.image.index.v1+json";

    private readonly JsonArray _index = [];

    public OciLayout(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        WriteIndex();
    }

    public string Directory { get; }

    public sealed record Blob(string Digest, long Size, string MediaType);

    public sealed record Image(string Tag, string ManifestDigest, IReadOnlyList<Blob> Layers, Blob Config);

    /// <summary>Adds a single-platform image with one layer per (seed, size) pair.</summary>
    public Image AddImage(string tag, IEnumerable<(int Seed, int Size)> layers, string architecture = "amd64")
    {
        var (manifest, image) = BuildImage(tag, layers, architecture);
        Tag(tag, manifest);
        return image;
    }

    /// <summary>Adds an index over one image per architecture, tagged as a whole.</summary>
    public (string IndexDigest, IReadOnlyList<Image> Images) AddIndex(string tag, IEnumerable<(string Architecture, (int Seed, int Size)[] Layers)> platforms)
    {
        var images = new List<Image>();
        var children = new JsonArray();
        foreach (var (architecture, layers) in platforms)
        {
            var (manifest, image) = BuildImage($"{tag}-{architecture}", layers, architecture);
            images.Add(image);
            children.Add(new JsonObject
            {
                ["mediaType"] = ManifestType,
                ["digest"] = manifest.Digest,
                ["size"] = manifest.Size,
                ["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" },
            });
        }
        var index = WriteJsonBlob(new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = IndexType, ["manifests"] = children }, IndexType);
        Tag(tag, index);
        return (index.Digest, images);
    }

    private (Blob Manifest, Image Image) BuildImage(string tag, IEnumerable<(int Seed, int Size)> layers, string architecture)
    {
        var layerBlobs = new List<Blob>();
        var diffIds = new JsonArray();
        foreach (var (seed, size) in layers)
        {
            var (blob, diffId) = WriteLayer(seed, size);
            layerBlobs.Add(blob);
            diffIds.Add(diffId);
        }
        var config = WriteJsonBlob(new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["created"] = "2026-01-01T00:00:00Z",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh"), ["Labels"] = new JsonObject { ["tag"] = tag } },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        }, "application/vnd.oci.image.config.v1+json");
        var manifest = WriteJsonBlob(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(layerBlobs.Select(l => (JsonNode)Descriptor(l)).ToArray()),
        }, ManifestType);
        return (manifest, new Image(tag, manifest.Digest, layerBlobs, config));
    }

    private (Blob Blob, string DiffId) WriteLayer(int seed, int size)
    {
        var content = new byte[size];
        new Random(seed).NextBytes(content);
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"data/layer-{seed}.bin")
            {
                DataStream = new MemoryStream(content),
                ModificationTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            };
            writer.WriteEntry(entry);
        }
        var tarBytes = tar.ToArray();
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tarBytes);
        var blob = WriteBlob(gz.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
        return (blob, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tarBytes)));
    }

    private Blob WriteJsonBlob(JsonObject json, string mediaType) =>
        WriteBlob(JsonSerializer.SerializeToUtf8Bytes(json), mediaType);

    private Blob WriteBlob(byte[] bytes, string mediaType)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllBytes(Path.Combine(Directory, "blobs", "sha256", hex), bytes);
        return new Blob("sha256:" + hex, bytes.Length, mediaType);
    }

    private static JsonObject Descriptor(Blob blob) => new() { ["mediaType"] = blob.MediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private void Tag(string tag, Blob manifest)
    {
        var descriptor = Descriptor(manifest);
        descriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _index.Add(descriptor);
        WriteIndex();
    }

    private void WriteIndex() =>
        File.WriteAllText(Path.Combine(Directory, "index.json"),
            new JsonObject { ["schemaVersion"] = 2, ["manifests"] = _index.DeepClone() }.ToJsonString());
}
