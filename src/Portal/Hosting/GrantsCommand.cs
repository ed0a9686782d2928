using System.Security.Claims;
using Wharf.Portal.Access;
using Wharf.Portal.Data;
using Wharf.Portal.Lists;

namespace Wharf.Portal.Hosting;

/// <summary><c>wharf grants add|list</c>: repository access from the command line, through <see cref="RepositoryGrants"/>.</summary>
public static class GrantsCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, ClaimsPrincipal actor, List<string> words, string[] args)
    {
        var grants = services.GetRequiredService<RepositoryGrants>();
        switch (words.ElementAtOrDefault(1))
        {
            case "list":
                await foreach (var g in ListRequest.AllAsync(r => grants.ListAsync(actor, r, CancellationToken.None)))
                    Console.WriteLine($"{g.Id}\t{(g.RepositoryPrefix.Length == 0 ? "*" : g.RepositoryPrefix)}\t{g.SubjectLabel}\t{g.Actions}");
                return 0;
            case "add":
                var prefix = words.ElementAtOrDefault(2);
                if (prefix is null) return await AdminCommandHost.UsageErrorAsync("grants add needs a repository prefix ('*' for every repository)");
                var anonymous = AdminCommandHost.Flag(args, "--anonymous");
                var user = AdminCommandHost.Option(args, "--user");
                if (anonymous == (user is not null)) return await AdminCommandHost.UsageErrorAsync("grants add needs either --user NAME or --anonymous");
                var actions = RepositoryActionsText.Parse(AdminCommandHost.Option(args, "--actions") ?? "pull");
                var result = await grants.CreateAsync(actor, prefix, anonymous ? GrantSubjectKind.Anonymous : GrantSubjectKind.User, user, actions, CancellationToken.None);
                return await AdminCommandHost.ReportAsync(result, $"granted {RepositoryActionsText.Format(actions)} on {prefix} to {(anonymous ? "anonymous callers" : user)}");
            default:
                return await AdminCommandHost.UsageErrorAsync("grants needs add or list");
        }
    }
}
