namespace Wharf.Registry.Auth;

/// <summary>
/// One entry of the token protocol's <c>scope</c>: <c>repository:&lt;name&gt;:pull,push</c> or
/// <c>registry:catalog:*</c> (distribution's token spec). Also the form of a token's <c>access</c> claim.
/// </summary>
public sealed record RegistryScope(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";
    public const string CatalogName = "catalog";

    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string All = "*";

    /// <summary>Longest scope string parsed, so that a hostile request cannot make the parser work hard.</summary>
    private const int MaxLength = 512;

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    /// <summary>
    /// Parses one scope. Names never contain ':' in the registry's grammar, but a registry host with a port may
    /// appear in front of a name in some clients' scopes, so the name is everything between the first and last ':'.
    /// </summary>
    public static bool TryParse(string? text, out RegistryScope scope)
    {
        scope = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxLength) return false;
        var first = text.IndexOf(':');
        var last = text.LastIndexOf(':');
        if (first <= 0 || last == first) return false;
        var type = text[..first];
        var name = text[(first + 1)..last];
        var actions = text[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (name.Length == 0 || actions.Length == 0) return false;
        // "repository(plugin)" is an old resource class some clients send; the class does not matter here.
        var paren = type.IndexOf('(');
        if (paren > 0) type = type[..paren];
        scope = new RegistryScope(type, name, actions.Distinct(StringComparer.Ordinal).ToArray());
        return true;
    }

    /// <summary>All scopes of a request: several <c>scope</c> parameters, each possibly space-separated (OAuth form).</summary>
    public static List<RegistryScope> ParseAll(IEnumerable<string?> values)
    {
        var scopes = new List<RegistryScope>();
        foreach (var value in values)
        {
            if (value is null) continue;
            foreach (var part in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (TryParse(part, out var scope)) scopes.Add(scope);
        }
        return scopes;
    }

    /// <summary>The scope a client needs for one access, for the <c>scope</c> parameter of a challenge.</summary>
    public static RegistryScope? For(RegistryAccess access) => access.Action switch
    {
        RegistryAction.Catalog => new RegistryScope(RegistryType, CatalogName, [All]),
        RegistryAction.Base => null,
        _ when access.Repository is null => null,
        RegistryAction.Pull => new RegistryScope(RepositoryType, access.Repository, [Pull]),
        RegistryAction.Push => new RegistryScope(RepositoryType, access.Repository, [Pull, Push]),
        RegistryAction.Delete => new RegistryScope(RepositoryType, access.Repository, [Delete]),
        _ => null,
    };

    /// <summary>Whether this granted scope allows the access (<c>*</c> allows every action).</summary>
    public bool Allows(RegistryAccess access)
    {
        if (access.Action == RegistryAction.Catalog)
            return Type == RegistryType && Name == CatalogName && Actions.Contains(All);
        if (Type != RepositoryType || access.Repository is null || !string.Equals(Name, access.Repository, StringComparison.Ordinal)) return false;
        var action = access.Action switch
        {
            RegistryAction.Pull => Pull,
            RegistryAction.Push => Push,
            RegistryAction.Delete => Delete,
            _ => null,
        };
        return action is not null && (Actions.Contains(action) || Actions.Contains(All));
    }
}
