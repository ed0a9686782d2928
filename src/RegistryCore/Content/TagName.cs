using System.Text.RegularExpressions;

namespace Wharf.Registry.Content;

/// <summary>Tag grammar from the distribution spec: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c>.</summary>
public static partial class TagName
{
    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    public static bool IsValid(string? tag) => !string.IsNullOrEmpty(tag) && tag.Length <= 128 && Grammar().IsMatch(tag);
}
