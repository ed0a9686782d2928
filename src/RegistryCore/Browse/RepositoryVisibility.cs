using System.Linq.Expressions;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Browse;

/// <summary>
/// Which repositories a reader of the browse queries may see: every one, or those under a set of prefixes (a prefix
/// covers whole path components: <c>team</c> covers <c>team</c> and <c>team/app</c>, never <c>teamwork</c>). The
/// portal builds it from the same grants the registry checks for a pull; the engine applies it in the database, so
/// paging and counts are over what the reader may see.
/// </summary>
public sealed class RepositoryVisibility
{
    public static readonly RepositoryVisibility Everything = new(true, []);
    public static readonly RepositoryVisibility Nothing = new(false, []);

    private RepositoryVisibility(bool all, IReadOnlyList<string> prefixes)
    {
        All = all;
        Prefixes = prefixes;
    }

    public bool All { get; }

    /// <summary>The prefixes (without slashes at the ends) when not <see cref="All"/>.</summary>
    public IReadOnlyList<string> Prefixes { get; }

    /// <summary>An empty prefix covers every repository, so it makes the visibility <see cref="Everything"/>.</summary>
    public static RepositoryVisibility Under(IEnumerable<string> prefixes)
    {
        var list = prefixes.Select(p => p.Trim().Trim('/')).Distinct(StringComparer.Ordinal).ToList();
        if (list.Contains("")) return Everything;
        // team covers team/app: drop the prefixes that another one already covers.
        var kept = list.Where(p => !list.Any(o => o != p && Covers(o, p))).OrderBy(p => p, StringComparer.Ordinal).ToList();
        return kept.Count == 0 ? Nothing : new RepositoryVisibility(false, kept);
    }

    public bool Allows(string repository) => All || Prefixes.Any(p => Covers(p, repository));

    private static bool Covers(string prefix, string repository) =>
        repository == prefix || repository.StartsWith(prefix + "/", StringComparison.Ordinal);

    /// <summary>The repositories this visibility lets through, as a filter the database evaluates.</summary>
    public IQueryable<RepositoryRecord> Apply(IQueryable<RepositoryRecord> repositories)
    {
        if (All) return repositories;
        if (Prefixes.Count == 0) return repositories.Where(_ => false);
        // r => r.Name == p1 || r.Name.StartsWith("p1/") || r.Name == p2 || ...
        var r = Expression.Parameter(typeof(RepositoryRecord), "r");
        var name = Expression.Property(r, nameof(RepositoryRecord.Name));
        var startsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
        Expression? body = null;
        foreach (var prefix in Prefixes)
        {
            var one = Expression.OrElse(
                Expression.Equal(name, Expression.Constant(prefix)),
                Expression.Call(name, startsWith, Expression.Constant(prefix + "/")));
            body = body is null ? one : Expression.OrElse(body, one);
        }
        return repositories.Where(Expression.Lambda<Func<RepositoryRecord, bool>>(body!, r));
    }
}
