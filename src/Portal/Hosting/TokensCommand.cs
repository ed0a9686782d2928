using System.Security.Claims;
using Wharf.Portal.Access;
using Wharf.Portal.Lists;

namespace Wharf.Portal.Hosting;

/// <summary><c>wharf tokens list|revoke</c>: every user's access tokens, through <see cref="AccessTokens"/>.</summary>
public static class TokensCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, ClaimsPrincipal actor, List<string> words)
    {
        var tokens = services.GetRequiredService<AccessTokens>();
        switch (words.ElementAtOrDefault(1))
        {
            case "list":
                await foreach (var t in ListRequest.AllAsync(r => tokens.ListAllAsync(actor, r, CancellationToken.None)))
                    Console.WriteLine($"{t.Id}\t{t.Owner}\t{t.Name}\t{t.Hint}\t{t.Actions}\t{(t.RepositoryPrefix.Length == 0 ? "*" : t.RepositoryPrefix)}\t{t.State(DateTime.UtcNow)}\texpires {t.ExpiresAt:yyyy-MM-dd}");
                return 0;
            case "revoke" when long.TryParse(words.ElementAtOrDefault(2), out var id):
                return await AdminCommandHost.ReportAsync(await tokens.RevokeAsync(actor, id, CancellationToken.None), $"revoked token {id}");
            default:
                return await AdminCommandHost.UsageErrorAsync("tokens needs list, or revoke with a token id (from tokens list)");
        }
    }
}
