using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wharf.Tests.Unit.Api;

/// <summary>A manifest ready to push, with the blobs it needs pushed first.</summary>
public sealed record TestImage(string MediaType, byte[] Manifest, IReadOnlyList<byte[]> Blobs)
{
    public string Digest => Digests.Sha256(Manifest);

    /// <summary>A descriptor of this manifest, for an index's <c>manifests</c> or a <c>subject</c>.</summary>
    public JsonObject Descriptor() => TestContent.Descriptor(MediaType, Manifest);
}

/// <summary>
/// Test data shaped like the conformance suite's: tab-indented JSON, descriptors carrying fields the spec does not
/// define (so a registry that re-serializes would change the digest), and a random author so each image is unique.
/// </summary>
public static class TestContent
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>The empty JSON object <c>{}</c> and its well-known digest.</summary>
    public static readonly byte[] EmptyJson = "{}"u8.ToArray();
    public const string EmptyJsonDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        IndentCharacter = '\t',
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Indented));

    /// <summary>Reproducible pseudo-random bytes.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>An image config, unique per <paramref name="seed"/>.</summary>
    public static byte[] Config(string seed) => Serialize(new JsonObject
    {
        ["author"] = "wharf-test-" + seed,
        ["architecture"] = "amd64",
        ["os"] = "linux",
        ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
    });

    /// <summary>A small layer, unique per <paramref name="seed"/>.</summary>
    public static byte[] Layer(string seed) => Encoding.UTF8.GetBytes("layer content for " + seed + "\n");

    public static JsonObject Descriptor(string mediaType, byte[] content) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = Digests.Sha256(content),
        ["size"] = content.Length,
    };

    /// <summary>
    /// An image manifest over one config and the given layers. <paramref name="mediaType"/> null leaves the
    /// top-level mediaType out (it is optional in OCI); the manifest is then pushed as an OCI image manifest.
    /// </summary>
    public static TestImage Manifest(JsonObject config, IEnumerable<JsonObject> layers, IEnumerable<byte[]> blobs,
        string? mediaType = OciManifest, Action<JsonObject>? customize = null)
    {
        var root = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) root["mediaType"] = mediaType;
        root["config"] = config;
        root["layers"] = new JsonArray(layers.Select(l => (JsonNode)l).ToArray());
        customize?.Invoke(root);
        return new TestImage(mediaType ?? OciManifest, Serialize(root), blobs.ToList());
    }

    /// <summary>
    /// An OCI image like the conformance suite's: config with an inline <c>data</c> field and an unknown field, one
    /// layer whose unknown field is null.
    /// </summary>
    public static TestImage Image(string seed, Action<JsonObject>? customize = null)
    {
        var config = Config(seed);
        var layer = Layer(seed);
        var configDescriptor = Descriptor(OciConfig, config);
        configDescriptor["data"] = Convert.ToBase64String(config);
        configDescriptor["newUnspecifiedField"] = "aGVsbG8gd29ybGQ=";
        var layerDescriptor = Descriptor(OciLayer, layer);
        layerDescriptor["newUnspecifiedField"] = null;
        return Manifest(configDescriptor, [layerDescriptor], [config, layer], OciManifest, customize);
    }

    /// <summary>A Docker schema2 image manifest.</summary>
    public static TestImage DockerImage(string seed)
    {
        var config = Config(seed);
        var layer = Layer(seed);
        return Manifest(Descriptor(DockerConfig, config), [Descriptor(DockerLayer, layer)], [config, layer], DockerManifest);
    }

    /// <summary>An index (OCI or Docker manifest list) over manifests that must be pushed first.</summary>
    public static TestImage Index(IEnumerable<TestImage> children, string mediaType = OciIndex, Action<JsonObject>? customize = null)
    {
        var root = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray(children.Select((c, i) =>
            {
                var descriptor = c.Descriptor();
                descriptor["platform"] = new JsonObject { ["architecture"] = i % 2 == 0 ? "amd64" : "arm64", ["os"] = "linux" };
                return (JsonNode)descriptor;
            }).ToArray()),
        };
        customize?.Invoke(root);
        return new TestImage(mediaType, Serialize(root), []);
    }

    public static JsonObject Annotations(params (string Key, string Value)[] entries)
    {
        var annotations = new JsonObject();
        foreach (var (key, value) in entries) annotations[key] = value;
        return annotations;
    }
}
