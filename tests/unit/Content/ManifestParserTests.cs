using System.Text;
using Wharf.Registry;
using Wharf.Registry.Content;
using Xunit;

namespace Wharf.Tests.Unit.Content;

public class ManifestParserTests
{
    private const string ConfigDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string LayerDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string ChildDigest = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    private const string SubjectDigest = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
    private const string OciConfig = "application/vnd.oci.image.config.v1+json";
    private const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

    private static string Descriptor(string mediaType, string digest, long size, string extra = "") =>
        $$"""{"mediaType":"{{mediaType}}","digest":"{{digest}}","size":{{size}}{{extra}}}""";

    private static readonly string Config = Descriptor(OciConfig, ConfigDigest, 7023);
    private static readonly string Layer = Descriptor(OciLayer, LayerDigest, 32654);

    /// <summary>An image manifest (or, when <paramref name="index"/>, an index) with optional mediaType and extra fields.</summary>
    private static string Manifest(string? mediaType = null, bool index = false, string extra = "", string? layers = null)
    {
        var type = mediaType is null ? "" : $"\"mediaType\":\"{mediaType}\",";
        var body = index
            ? $"\"manifests\":[{Descriptor(MediaTypes.OciManifest, ChildDigest, 1234)}]"
            : $"\"config\":{Config},\"layers\":[{layers ?? Layer}]";
        return $"{{\"schemaVersion\":2,{type}{body}{extra}}}";
    }

    private static ParsedManifest Parse(string json, string? contentType = null) =>
        ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType);

    private static RegistryException Refused(string json, string? contentType = null)
    {
        var e = Assert.Throws<RegistryException>(() => Parse(json, contentType));
        Assert.Same(RegistryError.ManifestInvalid, e.Error);
        return e;
    }

    [Fact]
    public void Oci_image_manifest_is_read_completely()
    {
        var m = Parse(Manifest(MediaTypes.OciManifest, extra: ""","annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z","n":1}"""),
            MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, m.MediaType);
        Assert.False(m.IsIndex);
        Assert.Equal(new Descriptor(OciConfig, Digest.Parse(ConfigDigest), 7023), m.Config);
        var layer = Assert.Single(m.Layers);
        Assert.Equal(new Descriptor(OciLayer, Digest.Parse(LayerDigest), 32654), layer);
        Assert.False(layer.IsExternal);
        Assert.Empty(m.Manifests);
        Assert.Null(m.Subject);
        Assert.Null(m.ArtifactType);
        // Only string-valued annotations are kept.
        Assert.Equal(new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2024-01-02T03:04:05Z" }, m.Annotations);
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest, false)]
    [InlineData(MediaTypes.OciIndex, true)]
    [InlineData(MediaTypes.DockerManifest, false)]
    [InlineData(MediaTypes.DockerManifestList, true)]
    public void Declared_media_type_is_used(string mediaType, bool index)
    {
        foreach (var contentType in new[] { mediaType, null })
        {
            var m = Parse(Manifest(mediaType, index), contentType);
            Assert.Equal(mediaType, m.MediaType);
            Assert.Equal(index, m.IsIndex);
            Assert.Equal(index ? 1 : 0, m.Manifests.Count);
            Assert.Equal(index ? 0 : 1, m.Layers.Count);
            Assert.Equal(index, m.Config is null);
        }
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest, false)]
    [InlineData(MediaTypes.OciIndex, true)]
    public void Oci_media_type_may_come_from_Content_Type_alone(string contentType, bool index) =>
        Assert.Equal(contentType, Parse(Manifest(index: index), contentType).MediaType);

    [Theory]
    [InlineData(null, false, MediaTypes.OciManifest)]
    [InlineData(null, true, MediaTypes.OciIndex)]
    [InlineData("application/json", false, MediaTypes.OciManifest)]
    [InlineData("application/octet-stream", true, MediaTypes.OciIndex)]
    public void Undeclared_media_type_is_inferred_from_fields(string? contentType, bool index, string expected) =>
        Assert.Equal(expected, Parse(Manifest(index: index), contentType).MediaType);

    [Theory]
    [InlineData(MediaTypes.DockerManifest, false)]
    [InlineData(MediaTypes.DockerManifestList, true)]
    public void Docker_manifest_without_mediaType_field_is_refused(string contentType, bool index) =>
        Assert.Contains("mediaType", Refused(Manifest(index: index), contentType).Message);

    [Theory]
    [InlineData("""{"schemaVersion":1,"name":"library/ubuntu","tag":"latest","fsLayers":[],"history":[]}""", null)]
    [InlineData("""{"schemaVersion":1,"name":"library/ubuntu","tag":"latest","fsLayers":[]}""", MediaTypes.DockerSchema1Signed)]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}""", null)]
    [InlineData("""{"schemaVersion":2,"config":{},"layers":[]}""", MediaTypes.DockerSchema1)]
    public void Schema1_is_refused_with_a_clear_message(string json, string? contentType) =>
        Assert.Contains("schema1", Refused(json, contentType).Message);

    [Theory]
    [InlineData(MediaTypes.OciManifest, MediaTypes.OciIndex)]
    [InlineData(MediaTypes.OciManifest, MediaTypes.DockerManifest)]
    [InlineData(MediaTypes.DockerManifest, MediaTypes.OciManifest)]
    public void Content_Type_that_contradicts_mediaType_is_refused(string declared, string contentType) =>
        Assert.Contains("does not match", Refused(Manifest(declared), contentType).Message);

    [Theory]
    [InlineData("sha256:XYZ")]
    [InlineData("sha256:2222222222222222222222222222222222222222222222222222222222222AAA")]
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("md5:5eb63bbbe01eeed093cb22bb8f5acdc3")]
    [InlineData("")]
    public void Descriptor_with_invalid_digest_is_refused(string digest) =>
        Assert.Contains("layers[0] has an invalid digest", Refused(Manifest(layers: Descriptor(OciLayer, digest, 1))).Message);

    [Theory]
    [InlineData("-1")]
    [InlineData("\"10\"")]
    [InlineData("1.5")]
    [InlineData("null")]
    public void Descriptor_without_a_valid_size_is_refused(string size)
    {
        var layer = Descriptor(OciLayer, LayerDigest, 0).Replace("\"size\":0", $"\"size\":{size}");
        Assert.Contains("layers[0] has no valid size", Refused(Manifest(layers: layer)).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"manifest\"")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1},"layers":[],}""")]
    [InlineData("""{"schemaVersion":3,"config":{},"layers":[]}""")]
    [InlineData("""{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}""")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.example+json","config":{},"layers":[]}""")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}""")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}""")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"x","layers":[]}""")]
    [InlineData("""{"schemaVersion":2,"annotations":{}}""")]
    public void Malformed_manifests_are_refused(string json) => Refused(json);

    [Theory]
    [InlineData(ManifestParser.MaxJsonDepth, true)]
    [InlineData(ManifestParser.MaxJsonDepth + 1, false)]
    public void Json_depth_is_limited(int depth, bool accepted)
    {
        // The root object is level 1; the rest is nested arrays under an extra field.
        var nested = new string('[', depth - 1) + new string(']', depth - 1);
        var json = Manifest(MediaTypes.OciManifest, extra: $",\"x\":{nested}");
        if (accepted) Assert.Equal(MediaTypes.OciManifest, Parse(json).MediaType);
        else Assert.Contains("not valid JSON", Refused(json).Message);
    }

    [Fact]
    public void Subject_is_read()
    {
        var subject = Descriptor(MediaTypes.OciManifest, SubjectDigest, 527);
        var m = Parse(Manifest(MediaTypes.OciManifest, extra: $",\"subject\":{subject}"));
        Assert.Equal(new Descriptor(MediaTypes.OciManifest, Digest.Parse(SubjectDigest), 527), m.Subject);
    }

    [Fact]
    public void Invalid_subject_is_refused() =>
        Assert.Contains("subject has an invalid digest",
            Refused(Manifest(MediaTypes.OciManifest, extra: $",\"subject\":{Descriptor(MediaTypes.OciManifest, "sha256:abc", 1)}")).Message);

    [Theory]
    [InlineData(",\"artifactType\":\"application/vnd.example.sbom\"", false, "application/vnd.example.sbom")]
    [InlineData("", false, OciConfig)]
    [InlineData(",\"artifactType\":\"application/vnd.example.list\"", true, "application/vnd.example.list")]
    [InlineData("", true, null)]
    public void EffectiveArtifactType_falls_back_to_config_media_type(string extra, bool index, string? expected) =>
        Assert.Equal(expected, Parse(Manifest(index ? MediaTypes.OciIndex : MediaTypes.OciManifest, index, extra)).EffectiveArtifactType);

    [Theory]
    [InlineData(OciLayer, "", false)]
    [InlineData(OciLayer, ",\"urls\":[]", false)]
    [InlineData(OciLayer, ",\"urls\":[\"https://example.com/layer.tar.gz\"]", true)]
    [InlineData("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "", true)]
    [InlineData("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "", true)]
    public void External_layers_are_recognised(string mediaType, string extra, bool external)
    {
        var layer = Assert.Single(Parse(Manifest(layers: Descriptor(mediaType, LayerDigest, 10, extra))).Layers);
        Assert.Equal(external, layer.IsExternal);
        Assert.Equal(extra.Contains("https"), layer.HasUrls);
    }

    [Fact]
    public void Descriptor_annotations_and_artifact_type_are_read()
    {
        var layer = Descriptor(OciLayer, LayerDigest, 10,
            ""","artifactType":"application/vnd.example","annotations":{"org.opencontainers.image.title":"hello.txt","b":"2"}""");
        var read = Assert.Single(Parse(Manifest(layers: layer)).Layers);
        Assert.Equal("application/vnd.example", read.ArtifactType);
        Assert.Equal(new Dictionary<string, string> { ["org.opencontainers.image.title"] = "hello.txt", ["b"] = "2" }, read.Annotations);
    }

    [Theory]
    [InlineData("""{"architecture":"arm64","os":"linux","variant":"v8"}""", "linux/arm64/v8")]
    [InlineData("""{"architecture":"amd64","os":"linux"}""", "linux/amd64")]
    [InlineData("""{"architecture":"amd64","os":"windows","os.version":"10.0.20348.2113"}""", "windows/amd64")]
    [InlineData("\"linux/amd64\"", null)]
    public void Platform_is_read_as_os_architecture_variant(string platform, string? expected)
    {
        var child = Descriptor(MediaTypes.OciManifest, ChildDigest, 1234, $",\"platform\":{platform}");
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{child}]}}";
        Assert.Equal(expected, Assert.Single(Parse(json).Manifests).Platform);
    }
}
