using System.Security.Claims;
using Wharf.Portal.Accounts;
using Wharf.Portal.Lists;

namespace Wharf.Portal.Hosting;

/// <summary><c>wharf users …</c>: the portal's user administration from the command line (same checks, same audit).</summary>
public static class UsersCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, ClaimsPrincipal actor, List<string> words, string[] args)
    {
        var users = services.GetRequiredService<UserAdministration>();
        var verb = words.ElementAtOrDefault(1);
        var name = words.ElementAtOrDefault(2);
        if (verb == "list")
        {
            await foreach (var u in ListRequest.AllAsync(r => users.ListAsync(actor, r, CancellationToken.None)))
                Console.WriteLine($"{u.UserName}\t{u.Role}\t{(u.Disabled ? "disabled" : u.LockedOut ? "locked out" : "active")}");
            return 0;
        }
        if (verb is null || name is null) return await AdminCommandHost.UsageErrorAsync("users needs a verb and a user name");
        if (verb == "add")
        {
            var role = AdminCommandHost.Option(args, "--role") ?? Roles.Viewer;
            var password = await AdminCommandHost.ReadPasswordAsync(args);
            if (password is null) return await AdminCommandHost.UsageErrorAsync("users add reads the password from standard input: give --password-stdin and pipe it in");
            return await AdminCommandHost.ReportAsync(await users.CreateAsync(actor, name, password, role), $"added {name} ({role})");
        }
        if (await users.IdOfAsync(name) is not { } id)
        {
            await Console.Error.WriteLineAsync($"wharf: no user named '{name}'");
            return 1;
        }
        switch (verb)
        {
            case "set-role":
                var newRole = words.ElementAtOrDefault(3);
                if (newRole is null) return await AdminCommandHost.UsageErrorAsync("users set-role needs a role (Admin, Viewer or Registry)");
                return await AdminCommandHost.ReportAsync(await users.SetRoleAsync(actor, id, newRole), $"{name} is now {newRole}");
            case "disable":
                return await AdminCommandHost.ReportAsync(await users.SetDisabledAsync(actor, id, true), $"disabled {name}");
            case "enable":
                return await AdminCommandHost.ReportAsync(await users.SetDisabledAsync(actor, id, false), $"enabled {name}");
            case "unlock":
                return await AdminCommandHost.ReportAsync(await users.UnlockAsync(actor, id), $"unlocked {name}");
            case "reset-password":
                var password = await AdminCommandHost.ReadPasswordAsync(args);
                if (password is null) return await AdminCommandHost.UsageErrorAsync("users reset-password reads the password from standard input: give --password-stdin and pipe it in");
                return await AdminCommandHost.ReportAsync(await users.ResetPasswordAsync(actor, id, password), $"set a new password for {name}");
            default:
                return await AdminCommandHost.UsageErrorAsync($"unknown users verb '{verb}'");
        }
    }
}
