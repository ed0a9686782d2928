using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Portal.Lists;
using Wharf.Registry.Browse;

namespace Wharf.Portal.Access;

public sealed record AccessTokenSummary(
    long Id, string Name, string Owner, string Hint, string Actions, string RepositoryPrefix,
    DateTime CreatedAt, DateTime ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt)
{
    public string State(DateTime now) => RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "active";
}

/// <summary>A token just created: the secret is here once and never again.</summary>
public sealed record CreatedAccessToken(string Secret, AccessTokenSummary Token);

/// <summary>
/// Personal access tokens: created by their owner with a name, an expiry and a scope; stored as a SHA-256 hash (the
/// secret is 256 random bits, so a fast hash is enough, and a lookup by hash needs no user name first); revoked by
/// their owner or an Admin. Every change is audited.
/// </summary>
public sealed class AccessTokens(IDbContextFactory<PortalDbContext> databases, UserManager<PortalUser> users, AdminGate gate, AuditLog audit, TimeProvider time)
{
    public const string SecretPrefix = "wharf_pat_";
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool LooksLikeToken(string secret) => secret.StartsWith(SecretPrefix, StringComparison.Ordinal);

    public async Task<(UserChangeResult Result, CreatedAccessToken? Created)> CreateAsync(
        ClaimsPrincipal actor, string name, RepositoryActions actions, string? repositoryPrefix, DateTime expiresAt, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(actor);
        if (user is null) return (UserChangeResult.Fail("not signed in"), null);
        name = name.Trim();
        var prefix = RepositoryPrefix.Normalize(repositoryPrefix);
        var now = time.GetUtcNow().UtcDateTime;
        var errors = new List<string>();
        if (name.Length is 0 or > 100) errors.Add("a token needs a name of at most 100 characters");
        if ((actions & RepositoryActions.All) == RepositoryActions.None) errors.Add("a token must allow at least pull");
        if (!RepositoryPrefix.IsValid(prefix)) errors.Add($"'{prefix}' is not a repository name prefix");
        if (expiresAt <= now) errors.Add("the expiry must be in the future");
        if (expiresAt > now + MaxLifetime) errors.Add("a token may live a year at most");
        if (errors.Count > 0) return (new UserChangeResult(false, errors), null);

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = new AccessToken
        {
            UserId = user.Id,
            Name = name,
            SecretHash = Hash(secret),
            Hint = secret[..(SecretPrefix.Length + 4)],
            Actions = RepositoryActionsText.Format(actions & RepositoryActions.All),
            RepositoryPrefix = prefix,
            CreatedAt = now,
            ExpiresAt = expiresAt.ToUniversalTime(),
        };
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        db.AccessTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        audit.Record(user.UserName!, "token.create", AuditOutcome.Success, target: name,
            detail: $"{token.Actions} on {(prefix.Length == 0 ? "every repository" : prefix)}, expires {token.ExpiresAt:yyyy-MM-dd HH:mm} UTC");
        return (UserChangeResult.Ok, new CreatedAccessToken(secret, Summary(token, user.UserName!)));
    }

    public async Task<Page<AccessTokenSummary>> ListOwnAsync(ClaimsPrincipal actor, ListRequest request, CancellationToken cancellationToken)
    {
        var userId = users.GetUserId(actor);
        if (userId is null) return new Page<AccessTokenSummary>([], 0);
        return await ListAsync(t => t.UserId == userId, request, cancellationToken);
    }

    /// <summary>Every user's tokens: Admins only (others get an empty list).</summary>
    public async Task<Page<AccessTokenSummary>> ListAllAsync(ClaimsPrincipal actor, ListRequest request, CancellationToken cancellationToken) =>
        await gate.IsAdminNowAsync(actor, cancellationToken) ? await ListAsync(_ => true, request, cancellationToken) : new Page<AccessTokenSummary>([], 0);

    /// <summary>One page of tokens, newest first unless sorted otherwise, searched by name or owner: all in the database.</summary>
    private async Task<Page<AccessTokenSummary>> ListAsync(System.Linq.Expressions.Expression<Func<AccessToken, bool>> filter, ListRequest request, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var rows = db.AccessTokens.AsNoTracking().Where(filter)
            .Join(db.Users, t => t.UserId, u => u.Id, (t, u) => new { Token = t, Owner = u.UserName });
        if (request.Needle is { } needle) rows = rows.Where(r => r.Token.Name.ToLower().Contains(needle) || r.Owner!.ToLower().Contains(needle));
        var total = await rows.CountAsync(cancellationToken);
        rows = (request.SortBy?.ToLowerInvariant(), request.Descending) switch
        {
            ("name", false) => rows.OrderBy(r => r.Token.Name).ThenByDescending(r => r.Token.Id),
            ("name", true) => rows.OrderByDescending(r => r.Token.Name).ThenByDescending(r => r.Token.Id),
            ("owner", false) => rows.OrderBy(r => r.Owner).ThenByDescending(r => r.Token.Id),
            ("owner", true) => rows.OrderByDescending(r => r.Owner).ThenByDescending(r => r.Token.Id),
            ("expiresat", false) => rows.OrderBy(r => r.Token.ExpiresAt).ThenByDescending(r => r.Token.Id),
            ("expiresat", true) => rows.OrderByDescending(r => r.Token.ExpiresAt).ThenByDescending(r => r.Token.Id),
            ("lastusedat", false) => rows.OrderBy(r => r.Token.LastUsedAt).ThenByDescending(r => r.Token.Id),
            ("lastusedat", true) => rows.OrderByDescending(r => r.Token.LastUsedAt).ThenByDescending(r => r.Token.Id),
            ("createdat", false) => rows.OrderBy(r => r.Token.CreatedAt).ThenBy(r => r.Token.Id),
            _ => rows.OrderByDescending(r => r.Token.CreatedAt).ThenByDescending(r => r.Token.Id),
        };
        var page = await rows.Skip(request.SafeSkip).Take(request.SafeTake).ToListAsync(cancellationToken);
        return new Page<AccessTokenSummary>(page.Select(r => Summary(r.Token, r.Owner ?? "?")).ToList(), total);
    }

    /// <summary>Revokes a token: its owner or an Admin may.</summary>
    public async Task<UserChangeResult> RevokeAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken)
    {
        var actorName = actor.Identity?.Name ?? "anonymous";
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var token = await db.AccessTokens.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null) return UserChangeResult.Fail("no such token");
        if (token.UserId != users.GetUserId(actor) && !await gate.AllowsAsync(actor, "token.revoke", target: token.Name, cancellationToken: cancellationToken))
            return UserChangeResult.Fail("only the token's owner or an Admin may revoke it");
        if (token.RevokedAt is not null) return UserChangeResult.Ok;
        token.RevokedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        var owner = await db.Users.Where(u => u.Id == token.UserId).Select(u => u.UserName).SingleOrDefaultAsync(cancellationToken);
        audit.Record(actorName, "token.revoke", AuditOutcome.Success, target: token.Name, detail: $"owner {owner}");
        return UserChangeResult.Ok;
    }

    /// <summary>The token with this secret if it is neither revoked nor expired; notes when it was last used.</summary>
    public async Task<AccessToken?> FindActiveAsync(string secret, CancellationToken cancellationToken)
    {
        if (!LooksLikeToken(secret) || secret.Length > 200) return null;
        var hash = Hash(secret);
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var token = await db.AccessTokens.SingleOrDefaultAsync(t => t.SecretHash == hash, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        if (token is null || !IsActive(token, now)) return null;
        if (token.LastUsedAt is null || now - token.LastUsedAt > LastUsedResolution)
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }
        return token;
    }

    /// <summary>The token by id if still active (for refresh tokens and re-checks of bearer tokens).</summary>
    public async Task<AccessToken?> FindActiveAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var token = await db.AccessTokens.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        return token is not null && IsActive(token, time.GetUtcNow().UtcDateTime) ? token : null;
    }

    private static bool IsActive(AccessToken token, DateTime now) => token.RevokedAt is null && token.ExpiresAt > now;

    private static AccessTokenSummary Summary(AccessToken t, string owner) =>
        new(t.Id, t.Name, owner, t.Hint + "…", t.Actions, t.RepositoryPrefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
