using System.Security.Cryptography;
using System.Text;

namespace Wharf.Portal.Accounts;

/// <summary>
/// The one-time code that the /setup page asks for while no user exists. Wharf prints it to its log at start, so
/// only someone who can read the log (the operator) can create the first Admin — not the first stranger to reach
/// the port. 20 characters from a 32-letter alphabet: 100 bits, beyond guessing even without the throttle in front.
/// </summary>
public sealed class SetupCode
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no I, O, 0, 1: read off a log by eye
    private string? _code;

    /// <summary>The code, made on first use, formatted in groups of five.</summary>
    public string Current => _code ??= Generate();

    public bool Matches(string? attempt)
    {
        if (_code is null || string.IsNullOrWhiteSpace(attempt)) return false;
        var normalized = new string(attempt.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        var expected = _code.Replace("-", "");
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(normalized), Encoding.ASCII.GetBytes(expected));
    }

    private static string Generate()
    {
        var letters = Enumerable.Range(0, 20).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]).ToArray();
        return string.Join('-', letters.Chunk(5).Select(c => new string(c)));
    }
}
