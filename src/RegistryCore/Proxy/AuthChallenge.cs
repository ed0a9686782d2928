using System.Net.Http.Headers;
using System.Text;

namespace Wharf.Registry.Proxy;

/// <summary>
/// A <c>WWW-Authenticate</c> challenge taken apart: <c>Basic realm="..."</c> or
/// <c>Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"</c>.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");
    public string? Error => Parameters.GetValueOrDefault("error");

    /// <summary>The first Bearer challenge of a response, else its first Basic one, else null.</summary>
    public static AuthChallenge? From(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        var challenges = headers.Select(h => new AuthChallenge(h.Scheme, ParseParameters(h.Parameter))).ToList();
        return challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
    }

    /// <summary>Parses <c>key=value</c> and <c>key="quoted \" value"</c> pairs separated by commas (RFC 7235 auth-params).</summary>
    public static IReadOnlyDictionary<string, string> ParseParameters(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(text)) return result;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var keyStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',') i++;
            var key = text[keyStart..i].Trim();
            if (i >= text.Length || text[i] != '=')
            {
                continue; // a token68 or a stray word: not a parameter
            }
            i++; // '='
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var builder = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    builder.Append(text[i++]);
                }
                i++; // closing quote
                value = builder.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && text[i] != ',') i++;
                value = text[valueStart..i].Trim();
            }
            if (key.Length > 0) result[key] = value;
        }
        return result;
    }
}
