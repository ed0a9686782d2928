using System.Text.Json;

namespace Wharf.Registry.Browse;

/// <summary>Reads the parts of an OCI/Docker image config that people look at; anything unexpected is left out, not an error.</summary>
public static class ImageConfigReader
{
    public static ImageConfigInfo? Read(byte[] bytes)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            return new ImageConfigInfo(
                String(root, "created"), String(root, "os"), String(root, "architecture"),
                String(config, "User") is { Length: > 0 } user ? user : null,
                String(config, "WorkingDir") is { Length: > 0 } dir ? dir : null,
                Keys(config, "ExposedPorts"),
                Strings(config, "Entrypoint"), Strings(config, "Cmd"), Strings(config, "Env"),
                Labels(config), History(root));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string> Strings(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];

    /// <summary>ExposedPorts is an object whose keys are the ports ("80/tcp": {}).</summary>
    private static List<string> Keys(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v.EnumerateObject().Select(p => p.Name).ToList()
            : [];

    private static Dictionary<string, string> Labels(JsonElement config)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
            foreach (var p in l.EnumerateObject()) if (p.Value.ValueKind == JsonValueKind.String) labels[p.Name] = p.Value.GetString()!;
        return labels;
    }

    private static List<HistoryEntry> History(JsonElement root) =>
        root.TryGetProperty("history", out var h) && h.ValueKind == JsonValueKind.Array
            ? h.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object).Select(x => new HistoryEntry(
                String(x, "created"), String(x, "created_by"),
                x.TryGetProperty("empty_layer", out var el) && el.ValueKind == JsonValueKind.True)).ToList()
            : [];
}
