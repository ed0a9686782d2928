using System.Text.RegularExpressions;

namespace Wharf.Registry.Content;

/// <summary>Repository name grammar from the distribution spec: lower-case path components, at most 255 characters.</summary>
public static partial class RepositoryName
{
    public const int MaxLength = 255;

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Grammar();

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name.All(char.IsAscii) && Grammar().IsMatch(name);
}
