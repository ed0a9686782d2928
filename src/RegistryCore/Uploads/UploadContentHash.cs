using System.Security.Cryptography;
using Wharf.Registry.Content;

namespace Wharf.Registry.Uploads;

/// <summary>
/// The SHA-256 of an upload session's bytes, computed while they stream in and carried from request to request in
/// the session row (<see cref="Metadata.UploadSessionRecord.ContentHashState"/>), so finishing an upload needs no
/// second pass over what was staged. Where the state cannot be saved (<see cref="ResumableSha256.IsSupported"/> is
/// false) a request that takes the whole blob still hashes it on the way; a session of several requests then gets
/// its digest by reading the staged bytes back at completion.
/// </summary>
internal sealed class UploadContentHash : IDisposable
{
    private readonly ResumableSha256? _resumable;
    private readonly IncrementalHash? _local;

    private UploadContentHash(ResumableSha256? resumable, IncrementalHash? local, long length)
    {
        _resumable = resumable;
        _local = local;
        Length = length;
    }

    /// <summary>How many bytes the hash covers: the session's size once a chunk is appended, else it must not be kept.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// The hash to continue for a session holding <paramref name="size"/> bytes, from its saved state; a fresh one for
    /// an empty session. Null when the saved state is missing or does not cover exactly those bytes.
    /// </summary>
    public static UploadContentHash? Continue(string? savedState, long size)
    {
        if (size == 0)
            return ResumableSha256.IsSupported ? new(ResumableSha256.Create(), null, 0) : new(null, IncrementalHash.CreateHash(HashAlgorithmName.SHA256), 0);
        return ResumableSha256.Restore(savedState, size) is { } restored ? new(restored, null, size) : null;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        if (_resumable is not null) _resumable.Append(data);
        else _local!.AppendData(data);
    }

    /// <summary>The state to keep in the session row, or null when it cannot be saved here.</summary>
    public string? SaveState() => _resumable?.SaveState();

    /// <summary>The digest of everything appended; the hash is finished afterwards.</summary>
    public Digest Finish() => Digest.FromHash("sha256", _resumable is not null ? _resumable.Finish() : _local!.GetHashAndReset());

    public void Dispose() => _local?.Dispose();
}
