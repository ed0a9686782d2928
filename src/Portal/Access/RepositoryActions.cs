using Wharf.Registry.Auth;
using Wharf.Registry.Content;

namespace Wharf.Portal.Access;

/// <summary>What may be done to a repository.</summary>
[Flags]
public enum RepositoryActions
{
    None = 0,
    Pull = 1,
    Push = 2,
    Delete = 4,
    All = Pull | Push | Delete,
}

public static class RepositoryActionsText
{
    /// <summary>"pull,push,delete" (the stored and displayed form); empty for none.</summary>
    public static string Format(RepositoryActions actions) => string.Join(',', Names(actions));

    public static IEnumerable<string> Names(RepositoryActions actions)
    {
        if (actions.HasFlag(RepositoryActions.Pull)) yield return RegistryScope.Pull;
        if (actions.HasFlag(RepositoryActions.Push)) yield return RegistryScope.Push;
        if (actions.HasFlag(RepositoryActions.Delete)) yield return RegistryScope.Delete;
    }

    /// <summary>Reads scope actions or the stored form; "*" is every action, unknown words are ignored.</summary>
    public static RepositoryActions Parse(IEnumerable<string> names)
    {
        var actions = RepositoryActions.None;
        foreach (var name in names)
        {
            actions |= name.Trim() switch
            {
                RegistryScope.Pull => RepositoryActions.Pull,
                RegistryScope.Push => RepositoryActions.Push,
                RegistryScope.Delete => RepositoryActions.Delete,
                RegistryScope.All => RepositoryActions.All,
                _ => RepositoryActions.None,
            };
        }
        return actions;
    }

    public static RepositoryActions Parse(string? text) => Parse((text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>Repository prefixes of grants and access tokens: whole path components, empty for every repository.</summary>
public static class RepositoryPrefix
{
    /// <summary>The stored form: trimmed, without slashes at the ends; "*" and "/" mean every repository.</summary>
    public static string Normalize(string? prefix)
    {
        var value = (prefix ?? "").Trim().Trim('/');
        return value == "*" ? "" : value;
    }

    /// <summary>Empty, or something that could be a repository name (so it can only match by whole components).</summary>
    public static bool IsValid(string prefix) => prefix.Length == 0 || RepositoryName.IsValid(prefix);

    public static bool Matches(string prefix, string repository) =>
        prefix.Length == 0 || repository == prefix ||
        (repository.Length > prefix.Length && repository[prefix.Length] == '/' && repository.StartsWith(prefix, StringComparison.Ordinal));
}
