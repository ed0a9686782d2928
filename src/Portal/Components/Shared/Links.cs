namespace Wharf.Portal.Components.Shared;

/// <summary>
/// Every portal link to a repository, manifest, blob or sharing view, built in one place. Links are relative to the
/// page's <c>&lt;base href&gt;</c> (never from the host's root), so the portal works under distribution's <c>http.prefix</c>.
/// </summary>
public static class Links
{
    public static string Repository(string name) => $"repository?name={Uri.EscapeDataString(name)}";

    public static string Manifest(string repository, string digest) =>
        $"manifest?repository={Uri.EscapeDataString(repository)}&digest={Uri.EscapeDataString(digest)}";

    public static string Blob(string digest) => $"blob?digest={Uri.EscapeDataString(digest)}";

    public static string Sharing(string repository) => $"sharing?repository={Uri.EscapeDataString(repository)}";

    public static string Upstreams => "upstreams";

    public static readonly (string Text, string Href) Overview = ("Overview", "./");
    public static readonly (string Text, string Href) Repositories = ("Repositories", "repositories");

    public static (string Text, string Href) RepositoryCrumb(string name) => (name, Repository(name));
}
