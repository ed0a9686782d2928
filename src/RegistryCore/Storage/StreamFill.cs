namespace Wharf.Registry.Storage;

/// <summary>Reading a stream into a buffer until it is full or the stream ends (a part of a multipart put).</summary>
internal static class StreamFill
{
    /// <returns>The bytes read: fewer than <paramref name="count"/> only at the end of the stream.</returns>
    public static async Task<int> FillAsync(Stream content, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < count && (read = await content.ReadAsync(buffer.AsMemory(filled, count - filled), cancellationToken)) > 0) filled += read;
        return filled;
    }
}
