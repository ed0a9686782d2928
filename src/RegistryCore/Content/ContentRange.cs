using System.Globalization;

namespace Wharf.Registry.Content;

/// <summary>
/// The inclusive byte range of an upload chunk, from <c>Content-Range: &lt;start&gt;-&lt;end&gt;</c>. Also accepts the
/// RFC form <c>bytes &lt;start&gt;-&lt;end&gt;/&lt;total|*&gt;</c> that some clients send.
/// </summary>
public readonly record struct ContentRange(long Start, long End)
{
    public long Length => End - Start + 1;

    public static bool TryParse(string? text, out ContentRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var value = text.Trim();
        if (value.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            value = value[5..].TrimStart(' ', '=');
            var slash = value.IndexOf('/');
            if (slash >= 0) value = value[..slash];
        }
        var dash = value.IndexOf('-');
        if (dash <= 0) return false;
        if (!TryParseOffset(value[..dash], out var start) || !TryParseOffset(value[(dash + 1)..], out var end)) return false;
        if (end < start) return false;
        range = new ContentRange(start, end);
        return true;
    }

    private static bool TryParseOffset(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && text.Length <= 19;

    /// <summary>The <c>Range</c> header value for an upload holding <paramref name="size"/> bytes (distribution sends 0-0 for none).</summary>
    public static string UploadRangeHeader(long size) => $"0-{Math.Max(0, size - 1)}";
}
