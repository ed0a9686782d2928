using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Portal.Lists;
using Wharf.Registry.Browse;

namespace Wharf.Portal.Access;

public sealed record GrantSummary(long Id, string RepositoryPrefix, string SubjectKind, string Subject, string SubjectLabel, string Actions, DateTime CreatedAt, string? CreatedBy);

/// <summary>Admins manage who may pull, push and delete under which repository prefix. Checked here, audited here.</summary>
public sealed class RepositoryGrants(IDbContextFactory<PortalDbContext> databases, UserManager<PortalUser> users, RegistryPermissions permissions, AdminGate gate, AuditLog audit, TimeProvider time)
{
    /// <summary>One page of the grants, sorted and searched (by prefix or subject) in the database; none for a non-Admin.</summary>
    public async Task<Page<GrantSummary>> ListAsync(ClaimsPrincipal actor, ListRequest request, CancellationToken cancellationToken)
    {
        if (!await gate.IsAdminNowAsync(actor, cancellationToken)) return new Page<GrantSummary>([], 0);
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        // A user grant names the user by id: its name is joined here (null once the user is deleted).
        var rows = db.RepositoryGrants.AsNoTracking().Select(g => new
        {
            Grant = g,
            UserName = g.SubjectKind == GrantSubjectKind.User ? db.Users.Where(u => u.Id == g.Subject).Select(u => u.UserName).FirstOrDefault() : null,
        });
        if (request.Needle is { } needle)
            rows = rows.Where(r => r.Grant.RepositoryPrefix.ToLower().Contains(needle) || (r.UserName != null && r.UserName.ToLower().Contains(needle))
                || (r.Grant.SubjectKind == GrantSubjectKind.Role && r.Grant.Subject.ToLower().Contains(needle)));
        var total = await rows.CountAsync(cancellationToken);
        rows = (request.SortBy?.ToLowerInvariant(), request.Descending) switch
        {
            ("actions", false) => rows.OrderBy(r => r.Grant.Actions).ThenBy(r => r.Grant.Id),
            ("actions", true) => rows.OrderByDescending(r => r.Grant.Actions).ThenBy(r => r.Grant.Id),
            ("createdat", false) => rows.OrderBy(r => r.Grant.CreatedAt).ThenBy(r => r.Grant.Id),
            ("createdat", true) => rows.OrderByDescending(r => r.Grant.CreatedAt).ThenBy(r => r.Grant.Id),
            ("createdby", false) => rows.OrderBy(r => r.Grant.CreatedBy).ThenBy(r => r.Grant.Id),
            ("createdby", true) => rows.OrderByDescending(r => r.Grant.CreatedBy).ThenBy(r => r.Grant.Id),
            ("subjectlabel", false) => rows.OrderBy(r => r.Grant.SubjectKind).ThenBy(r => r.UserName ?? r.Grant.Subject).ThenBy(r => r.Grant.Id),
            ("subjectlabel", true) => rows.OrderByDescending(r => r.Grant.SubjectKind).ThenByDescending(r => r.UserName ?? r.Grant.Subject).ThenBy(r => r.Grant.Id),
            (_, true) => rows.OrderByDescending(r => r.Grant.RepositoryPrefix).ThenBy(r => r.Grant.SubjectKind).ThenBy(r => r.Grant.Subject),
            _ => rows.OrderBy(r => r.Grant.RepositoryPrefix).ThenBy(r => r.Grant.SubjectKind).ThenBy(r => r.Grant.Subject),
        };
        var page = await rows.Skip(request.SafeSkip).Take(request.SafeTake).ToListAsync(cancellationToken);
        return new Page<GrantSummary>(page.Select(r => new GrantSummary(r.Grant.Id, r.Grant.RepositoryPrefix, r.Grant.SubjectKind, r.Grant.Subject,
            Label(r.Grant, r.UserName), r.Grant.Actions, r.Grant.CreatedAt, r.Grant.CreatedBy)).ToList(), total);
    }

    /// <param name="subject">A user name for <see cref="GrantSubjectKind.User"/>, a role for <see cref="GrantSubjectKind.Role"/>, ignored otherwise.</param>
    public async Task<UserChangeResult> CreateAsync(ClaimsPrincipal actor, string? repositoryPrefix, string subjectKind, string? subject, RepositoryActions actions, CancellationToken cancellationToken)
    {
        var actorName = AdminGate.ActorName(actor);
        if (!await gate.AllowsAsync(actor, "grant.create", repository: repositoryPrefix, cancellationToken: cancellationToken)) return UserChangeResult.Fail(AdminGate.Refusal);
        var prefix = RepositoryPrefix.Normalize(repositoryPrefix);
        if (!RepositoryPrefix.IsValid(prefix)) return UserChangeResult.Fail($"'{prefix}' is not a repository name prefix (lower-case path components such as team or team/app)");
        if ((actions & RepositoryActions.All) == RepositoryActions.None) return UserChangeResult.Fail("choose at least one action");
        if (subjectKind == GrantSubjectKind.Anonymous && (actions & ~RepositoryActions.Pull) != RepositoryActions.None)
            return UserChangeResult.Fail("anonymous callers may only be allowed to pull");

        string stored, label;
        switch (subjectKind)
        {
            case GrantSubjectKind.Anonymous or GrantSubjectKind.AnyUser:
                stored = "";
                label = subjectKind;
                break;
            case GrantSubjectKind.Role when Roles.All.Contains(subject):
                stored = label = subject!;
                break;
            case GrantSubjectKind.User when await users.FindByNameAsync(subject ?? "") is { } user:
                stored = user.Id;
                label = user.UserName!;
                break;
            default:
                return UserChangeResult.Fail(subjectKind is GrantSubjectKind.User or GrantSubjectKind.Role ? $"no such {subjectKind} '{subject}'" : $"unknown kind of subject '{subjectKind}'");
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        db.RepositoryGrants.Add(new RepositoryGrant
        {
            RepositoryPrefix = prefix,
            SubjectKind = subjectKind,
            Subject = stored,
            Actions = RepositoryActionsText.Format(actions & RepositoryActions.All),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = actorName,
        });
        await db.SaveChangesAsync(cancellationToken);
        permissions.Invalidate();
        audit.Record(actorName, "grant.create", AuditOutcome.Success, repository: Describe(prefix), target: $"{subjectKind} {label}".Trim(),
            detail: RepositoryActionsText.Format(actions));
        return UserChangeResult.Ok;
    }

    public async Task<UserChangeResult> DeleteAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken)
    {
        var actorName = AdminGate.ActorName(actor);
        if (!await gate.AllowsAsync(actor, "grant.delete", target: id.ToString(), cancellationToken: cancellationToken)) return UserChangeResult.Fail(AdminGate.Refusal);
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var grant = await db.RepositoryGrants.SingleOrDefaultAsync(g => g.Id == id, cancellationToken);
        if (grant is null) return UserChangeResult.Fail("no such grant");
        db.RepositoryGrants.Remove(grant);
        await db.SaveChangesAsync(cancellationToken);
        permissions.Invalidate();
        audit.Record(actorName, "grant.delete", AuditOutcome.Success, repository: Describe(grant.RepositoryPrefix), target: $"{grant.SubjectKind} {grant.Subject}".Trim(), detail: grant.Actions);
        return UserChangeResult.Ok;
    }

    private static string Describe(string prefix) => prefix.Length == 0 ? "*" : prefix;

    private static string Label(RepositoryGrant grant, string? userName) => grant.SubjectKind switch
    {
        GrantSubjectKind.Anonymous => "anonymous callers",
        GrantSubjectKind.AnyUser => "every signed-in user",
        GrantSubjectKind.Role => $"role {grant.Subject}",
        _ => userName is not null ? $"user {userName}" : "a deleted user",
    };
}
