using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Data;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Accounts;

/// <summary>
/// Prepares the portal database at start: migrations, the two roles, and — only when no user exists and both
/// WHARF_ADMIN_USER and WHARF_ADMIN_PASSWORD are set — the first Admin. There is never a default password; without
/// those variables the portal offers a setup page that asks for a one-time code printed to the log. Fails closed:
/// variables that are set but refused (a password too short) stop the start with the reason.
/// </summary>
public sealed partial class PortalBootstrapper(
    PortalDbContext db, RoleManager<IdentityRole> roles, UserAdministration administration, SetupCode setupCode,
    IConfiguration configuration, ILogger<PortalBootstrapper> logger)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await db.Database.MigrateWithWriteAheadLogAsync(cancellationToken);
        if (db.Database.IsReadOnly())
        {
            // Nothing can be created on a read-only data directory; the users and roles it holds sign in as before.
            if (!await administration.AnyAsync()) LogNoUserReadOnly(logger);
            return;
        }
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        }

        if (await administration.AnyAsync()) return;
        var user = configuration["WHARF_ADMIN_USER"];
        var password = configuration["WHARF_ADMIN_PASSWORD"];
        if (string.IsNullOrWhiteSpace(user) && string.IsNullOrEmpty(password))
        {
            LogSetupPending(logger, setupCode.Current);
            return;
        }
        if (string.IsNullOrWhiteSpace(user) || string.IsNullOrEmpty(password))
            throw new InvalidDataException("set both WHARF_ADMIN_USER and WHARF_ADMIN_PASSWORD for the first Admin, or neither (then use the /setup page)");
        var result = await administration.CreateAsync(null, user, password, Roles.Admin);
        if (!result.Succeeded)
            throw new InvalidDataException($"WHARF_ADMIN_USER/WHARF_ADMIN_PASSWORD: the first Admin '{user}' was refused: {string.Join("; ", result.Errors)}");
        LogAdminCreated(logger, user);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No portal user exists yet: open the portal's /setup page and enter the one-time setup code {Code} to create the first Admin, or set WHARF_ADMIN_USER and WHARF_ADMIN_PASSWORD")]
    private static partial void LogSetupPending(ILogger logger, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No portal user exists and the data directory is read-only: the first Admin cannot be created until Wharf runs on writable storage")]
    private static partial void LogNoUserReadOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first Admin '{User}' from WHARF_ADMIN_USER")]
    private static partial void LogAdminCreated(ILogger logger, string user);
}
