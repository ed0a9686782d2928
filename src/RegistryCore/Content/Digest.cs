using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Wharf.Registry.Content;

/// <summary>
/// A content digest such as <c>sha256:3b4c…</c>. Only algorithms on the allow-list are accepted and the
/// hex part must have that algorithm's exact length in lower case, so a digest can never carry a path
/// separator or any other character into a storage path.
/// </summary>
public readonly record struct Digest
{
    private static readonly Dictionary<string, int> HexLengths = new(StringComparer.Ordinal)
    {
        ["sha256"] = 64,
        ["sha512"] = 128,
    };

    public string Algorithm { get; }
    public string Hex { get; }

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public override string ToString() => $"{Algorithm}:{Hex}";

    public static bool TryParse(string? text, [NotNullWhen(true)] out Digest? digest)
    {
        digest = null;
        if (string.IsNullOrEmpty(text)) return false;
        var colon = text.IndexOf(':');
        if (colon <= 0) return false;
        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        if (!HexLengths.TryGetValue(algorithm, out var length) || hex.Length != length) return false;
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        }
        digest = new Digest(algorithm, hex);
        return true;
    }

    /// <summary>Whether the text has the general digest shape (algorithm:encoded) even if not one we support.</summary>
    public static bool LooksLikeDigest(string text) => text.Contains(':');

    public static Digest Parse(string text) =>
        TryParse(text, out var d) ? d.Value : throw new FormatException($"'{text}' is not a valid digest");

    public static Digest FromHash(string algorithm, byte[] hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Sha256Of(ReadOnlySpan<byte> content) => FromHash("sha256", SHA256.HashData(content));

    public static Digest Compute(string algorithm, ReadOnlySpan<byte> content) => algorithm switch
    {
        "sha512" => FromHash("sha512", SHA512.HashData(content)),
        _ => FromHash("sha256", SHA256.HashData(content)),
    };

    public HashAlgorithmName HashAlgorithmName => Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
}
