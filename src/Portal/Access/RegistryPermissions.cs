using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Data;
using Wharf.Registry.Proxy;

namespace Wharf.Portal.Access;

/// <summary>
/// Decides what a caller may do to a repository: Admins everything; everyone else what the grants for them, their
/// roles, every signed-in user and anonymous callers add up to; an access token never more than its own scope. The
/// grants are read into memory and re-read after a change here, or after <see cref="CacheLifetime"/> (another
/// instance on the same database may have changed them).
/// </summary>
public sealed class RegistryPermissions(IDbContextFactory<PortalDbContext> databases, TimeProvider time, UpstreamCatalog upstreams)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(IReadOnlyList<RepositoryGrant> Grants, DateTimeOffset LoadedAt);

    public async Task<RepositoryActions> AllowedAsync(RegistryIdentity? who, string repository, CancellationToken cancellationToken)
    {
        if (who is not null && !RepositoryPrefix.Matches(who.TokenPrefix, repository)) return RepositoryActions.None;
        if (who?.IsAdmin == true) return who.TokenActions;
        var allowed = IsPublicMirror(repository) ? RepositoryActions.Pull : RepositoryActions.None;
        foreach (var grant in await GrantsAsync(cancellationToken))
        {
            if (Applies(grant, who) && RepositoryPrefix.Matches(grant.RepositoryPrefix, repository))
                allowed |= RepositoryActionsText.Parse(grant.Actions);
        }
        return who is null ? allowed : allowed & who.TokenActions;
    }

    /// <summary>
    /// The repository prefixes a caller may pull from, by the same grants and rules as <see cref="AllowedAsync"/>
    /// (Admins: every repository, the empty prefix). The portal shows exactly these repositories.
    /// </summary>
    public async Task<IReadOnlyList<string>> PullPrefixesAsync(RegistryIdentity? who, CancellationToken cancellationToken)
    {
        if (who?.IsAdmin == true) return [""];
        return (await GrantsAsync(cancellationToken))
            .Where(g => Applies(g, who) && RepositoryActionsText.Parse(g.Actions).HasFlag(RepositoryActions.Pull))
            .Select(g => g.RepositoryPrefix)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// A whole-namespace pull-through cache (<c>proxy.remoteurl</c>) of content Wharf fetches without credentials (or
    /// whose operator allowed anonymous pulls) is public, as a registry:2 mirror is: Docker daemons pull through it
    /// anonymously. Upstreams under a prefix follow the grants.
    /// </summary>
    private bool IsPublicMirror(string repository) =>
        upstreams.Match(repository) is { Upstream.Definition: { Prefix.Length: 0, RequiresCaller: false } };

    /// <summary>Listing every repository name: Admins only, and not with a token limited to some repositories.</summary>
    public static bool CanListCatalog(RegistryIdentity? who) => who is { IsAdmin: true, TokenPrefix: "" } && who.TokenActions.HasFlag(RepositoryActions.Pull);

    /// <summary>Grants for anonymous callers apply to signed-in users too: signing in never gives less.</summary>
    private static bool Applies(RepositoryGrant grant, RegistryIdentity? who) => grant.SubjectKind switch
    {
        GrantSubjectKind.Anonymous => true,
        GrantSubjectKind.AnyUser => who is not null,
        GrantSubjectKind.Role => who is not null && who.Roles.Contains(grant.Subject),
        GrantSubjectKind.User => who is not null && who.UserId == grant.Subject,
        _ => false,
    };

    public async Task<IReadOnlyList<RepositoryGrant>> GrantsAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && time.GetUtcNow() - snapshot.LoadedAt < CacheLifetime) return snapshot.Grants;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && time.GetUtcNow() - snapshot.LoadedAt < CacheLifetime) return snapshot.Grants;
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            var grants = await db.RepositoryGrants.AsNoTracking().ToListAsync(cancellationToken);
            _snapshot = new Snapshot(grants, time.GetUtcNow());
            return grants;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Forgets the grants read so far (after a change).</summary>
    public void Invalidate() => _snapshot = null;
}
