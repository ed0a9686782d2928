using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Wharf.Registry.Uploads;

/// <summary>
/// SHA-256 whose running state can be saved and continued later, by another request on another instance: an upload
/// session's content hash between its chunks. .NET's <c>IncrementalHash</c> cannot export its state, and a portable
/// SHA-256 that can runs about 15 times slower than the platform's (docs/storage.md). So this calls OpenSSL's
/// <c>SHA256_Init</c>/<c>SHA256_Update</c>/<c>SHA256_Final</c> — libcrypto, the library .NET's own SHA-256 runs on
/// Linux, with the same SHA-NI code — on a context Wharf owns, and saves those 112 bytes.
/// <para>
/// Hand-written binding, not a package: no NuGet package exposes a saveable SHA-256 state at native speed. Where
/// libcrypto 3 is not there (Windows, macOS) <see cref="IsSupported"/> is false and an upload's digest is computed by
/// reading its staged bytes back at completion, as before.
/// </para>
/// </summary>
internal sealed class ResumableSha256
{
    private const string Library = "libcrypto.so.3";

    /// <summary>sizeof(SHA256_CTX): h[8], Nl, Nh, data[16], num, md_len, all 32-bit (OpenSSL 1.1 and 3, every platform).</summary>
    private const int ContextSize = 112;

    private const string StatePrefix = "sha256-openssl:";

    private static readonly Lazy<bool> Supported = new(Probe);

    private readonly byte[] _context;

    private ResumableSha256(byte[] context) => _context = context;

    /// <summary>Whether libcrypto's SHA-256 can be called here (checked once, by hashing "abc").</summary>
    public static bool IsSupported => Supported.Value;

    /// <summary>Bytes hashed so far.</summary>
    public long Length => (long)((((ulong)BinaryPrimitives.ReadUInt32LittleEndian(_context.AsSpan(36)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(_context.AsSpan(32))) / 8);

    public static ResumableSha256 Create()
    {
        var context = new byte[ContextSize];
        if (SHA256_Init(context) != 1) throw new InvalidOperationException("SHA256_Init failed");
        return new ResumableSha256(context);
    }

    /// <summary>
    /// Continues from <see cref="SaveState"/>'s text. Null when the text is not such a state or does not cover exactly
    /// <paramref name="length"/> bytes (the caller then hashes the bytes again).
    /// </summary>
    public static ResumableSha256? Restore(string? state, long length)
    {
        if (state is null || !state.StartsWith(StatePrefix, StringComparison.Ordinal) || !IsSupported) return null;
        var context = new byte[ContextSize];
        if (!Convert.TryFromBase64String(state[StatePrefix.Length..], context, out var written) || written != ContextSize) return null;
        var restored = new ResumableSha256(context);
        var pending = BinaryPrimitives.ReadUInt32LittleEndian(context.AsSpan(104));
        var digestLength = BinaryPrimitives.ReadUInt32LittleEndian(context.AsSpan(108));
        return digestLength == 32 && pending == (ulong)length % 64 && restored.Length == length ? restored : null;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        if (SHA256_Update(_context, ref MemoryMarshal.GetReference(data), (nuint)data.Length) != 1) throw new InvalidOperationException("SHA256_Update failed");
    }

    /// <summary>The running state as text, for the upload session's row.</summary>
    public string SaveState() => StatePrefix + Convert.ToBase64String(_context);

    /// <summary>The digest of everything appended. The state is finished afterwards.</summary>
    public byte[] Finish()
    {
        var digest = new byte[32];
        if (SHA256_Final(digest, _context) != 1) throw new InvalidOperationException("SHA256_Final failed");
        return digest;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var hash = Create();
            hash.Append("abc"u8);
            return Convert.ToHexStringLower(hash.Finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [DllImport(Library, ExactSpelling = true)]
    private static extern int SHA256_Init(byte[] context);

    [DllImport(Library, ExactSpelling = true)]
    private static extern int SHA256_Update(byte[] context, ref byte data, nuint length);

    [DllImport(Library, ExactSpelling = true)]
    private static extern int SHA256_Final(byte[] digest, byte[] context);
}
