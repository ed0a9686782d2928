using System.Text.Json;

namespace Wharf.Registry.Content;

/// <summary>
/// Parses and validates the manifest formats Wharf accepts: OCI image manifest and index, Docker schema2 manifest
/// and manifest list. Schema1 is refused. The bytes themselves are never rewritten; this only reads them.
/// </summary>
public static class ManifestParser
{
    public const int MaxJsonDepth = 32;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxJsonDepth, AllowTrailingCommas = false };

    /// <param name="content">The manifest bytes as pushed.</param>
    /// <param name="contentType">The request's Content-Type, without parameters; may be null.</param>
    public static ParsedManifest Parse(ReadOnlySpan<byte> content, string? contentType)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray(), Options);
        }
        catch (JsonException e)
        {
            throw Invalid($"manifest is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("manifest must be a JSON object");

            var schemaVersion = root.TryGetProperty("schemaVersion", out var sv) && sv.ValueKind == JsonValueKind.Number && sv.TryGetInt32(out var v) ? v : (int?)null;
            var declared = OptionalString(root, "mediaType");
            if (schemaVersion == 1 || (declared is not null && MediaTypes.IsSchema1(declared)) || (contentType is not null && MediaTypes.IsSchema1(contentType)))
            {
                throw Invalid("Docker schema1 manifests are not supported; push the image as OCI or Docker schema2 (for example with a current docker, podman or skopeo)");
            }
            if (schemaVersion != 2) throw Invalid("manifest schemaVersion must be 2");

            var mediaType = ResolveMediaType(root, declared, contentType);
            var parsed = new ParsedManifest(mediaType)
            {
                ArtifactType = OptionalString(root, "artifactType"),
                Annotations = ReadAnnotations(root),
                Subject = root.TryGetProperty("subject", out var subject) && subject.ValueKind != JsonValueKind.Null ? ReadDescriptor(subject, "subject") : null,
            };

            if (MediaTypes.IsIndex(mediaType))
            {
                if (!root.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
                    throw Invalid("an index must have a 'manifests' array");
                return parsed with { Manifests = ReadDescriptors(manifests, "manifests") };
            }

            if (!root.TryGetProperty("config", out var config)) throw Invalid("an image manifest must have a 'config' descriptor");
            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw Invalid("an image manifest must have a 'layers' array");
            return parsed with { Config = ReadDescriptor(config, "config"), Layers = ReadDescriptors(layers, "layers") };
        }
    }

    private static string ResolveMediaType(JsonElement root, string? declared, string? contentType)
    {
        if (declared is not null)
        {
            if (!MediaTypes.IsManifest(declared)) throw Invalid($"unsupported manifest media type '{declared}'");
            if (contentType is not null && MediaTypes.IsManifest(contentType) && contentType != declared)
                throw Invalid($"Content-Type '{contentType}' does not match the manifest's mediaType '{declared}'");
            return declared;
        }
        if (contentType is not null && MediaTypes.IsManifest(contentType))
        {
            // Docker formats require the mediaType field; OCI ones make it optional.
            if (contentType is MediaTypes.DockerManifest or MediaTypes.DockerManifestList)
                throw Invalid("Docker schema2 manifests must carry a mediaType field");
            return contentType;
        }
        // No declaration at all: tell the two OCI shapes apart by their fields.
        if (root.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
        if (root.TryGetProperty("config", out _)) return MediaTypes.OciManifest;
        throw Invalid("cannot tell the manifest's media type: set Content-Type or mediaType");
    }

    private static List<Descriptor> ReadDescriptors(JsonElement array, string field)
    {
        var list = new List<Descriptor>(array.GetArrayLength());
        var i = 0;
        foreach (var element in array.EnumerateArray()) list.Add(ReadDescriptor(element, $"{field}[{i++}]"));
        return list;
    }

    private static Descriptor ReadDescriptor(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Invalid($"{where} must be a descriptor object");
        var mediaType = OptionalString(element, "mediaType") ?? throw Invalid($"{where} has no mediaType");
        var digestText = OptionalString(element, "digest") ?? throw Invalid($"{where} has no digest");
        if (!Digest.TryParse(digestText, out var digest)) throw Invalid($"{where} has an invalid digest '{digestText}'");
        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt64(out var size) || size < 0)
            throw Invalid($"{where} has no valid size");
        string? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            var os = OptionalString(p, "os");
            var arch = OptionalString(p, "architecture");
            var variant = OptionalString(p, "variant");
            platform = string.Join('/', new[] { os, arch, variant }.Where(s => !string.IsNullOrEmpty(s)));
        }
        return new Descriptor(mediaType, digest.Value, size)
        {
            ArtifactType = OptionalString(element, "artifactType"),
            Annotations = ReadAnnotations(element),
            Platform = platform,
            Urls = element.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0
                ? urls.EnumerateArray().Select(u => u.ValueKind == JsonValueKind.String ? u.GetString()! : "").ToList()
                : null,
        };
    }

    private static Dictionary<string, string>? ReadAnnotations(JsonElement element)
    {
        if (!element.TryGetProperty("annotations", out var a) || a.ValueKind != JsonValueKind.Object) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in a.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String) result[property.Name] = property.Value.GetString()!;
        }
        return result;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static RegistryException Invalid(string message) => new(RegistryError.ManifestInvalid, message);
}
