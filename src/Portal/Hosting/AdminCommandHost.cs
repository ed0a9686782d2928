using Wharf.Portal.Accounts;

namespace Wharf.Portal.Hosting;

/// <summary>
/// Runs <c>wharf users|grants|tokens …</c>: the same services, audit trail and configuration (config.yml named by
/// <c>--config</c> or REGISTRY_CONFIGURATION_PATH, REGISTRY_* and Wharf__* variables) as the server, acting as the
/// <see cref="CommandLineOperator"/>. Safe while Wharf serves: the databases take concurrent writers, and the server
/// picks up grant changes within its cache lifetime and user changes at its next revalidation.
/// </summary>
public static class AdminCommandHost
{
    public static readonly string[] Commands = ["users", "grants", "tokens"];

    public const string Usage = """
               wharf users add NAME --role Admin|Viewer|Registry --password-stdin
               wharf users set-role NAME ROLE | disable NAME | enable NAME | unlock NAME | list
               wharf users reset-password NAME --password-stdin
               wharf grants add PREFIX (--user NAME | --anonymous) --actions pull[,push,delete]
               wharf grants list
               wharf tokens list | revoke ID
               (each also takes --config config.yml and --key=value settings)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var config = Option(args, "--config") ?? Environment.GetEnvironmentVariable("REGISTRY_CONFIGURATION_PATH");
        if (config is not null && !File.Exists(config))
        {
            await Console.Error.WriteLineAsync($"configuration file not found: {config}");
            return 2;
        }
        var hostArgs = args.Where(a => a.StartsWith("--") && a.Contains('=')).ToArray();
        var words = Words(args);
        var app = WharfHost.Build(hostArgs, config);
        await WharfHost.InitializeAsync(app, importDistributionData: false);
        await using var scope = app.Services.CreateAsyncScope();
        var actor = CommandLineOperator.Create();
        try
        {
            return words[0] switch
            {
                "users" => await UsersCommand.RunAsync(scope.ServiceProvider, actor, words, args),
                "grants" => await GrantsCommand.RunAsync(scope.ServiceProvider, actor, words, args),
                _ => await TokensCommand.RunAsync(scope.ServiceProvider, actor, words),
            };
        }
        finally
        {
            // The server's audit writer is a background service, and the command line starts no host: write what
            // the command recorded before the process ends.
            await WriteAuditAsync(app.Services);
        }
    }

    private static async Task WriteAuditAsync(IServiceProvider services)
    {
        var log = services.GetRequiredService<Audit.AuditLog>();
        var entries = new List<Data.AuditEntry>();
        while (log.Reader.TryRead(out var entry)) entries.Add(entry);
        if (entries.Count == 0) return;
        var databases = services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Data.PortalDbContext>>();
        await using var db = await databases.CreateDbContextAsync();
        db.AuditEntries.AddRange(entries);
        await db.SaveChangesAsync();
    }

    /// <summary>The value after a flag (<c>--role Admin</c>), or null.</summary>
    public static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    public static bool Flag(string[] args, string name) => args.Contains(name);

    /// <summary>The positional words: the command, its verb and its operands, without flags and their values.</summary>
    private static List<string> Words(string[] args)
    {
        string[] valued = ["--config", "--role", "--user", "--actions"];
        var words = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (valued.Contains(args[i])) { i++; continue; }
            if (args[i].StartsWith("--")) continue;
            words.Add(args[i]);
        }
        return words;
    }

    public static async Task<int> ReportAsync(UserChangeResult result, string done)
    {
        if (result.Succeeded)
        {
            Console.WriteLine(done);
            return 0;
        }
        await Console.Error.WriteLineAsync("wharf: " + string.Join("; ", result.Errors));
        return 1;
    }

    public static async Task<int> UsageErrorAsync(string message)
    {
        await Console.Error.WriteLineAsync($"wharf: {message}\nusage:\n{Usage}");
        return 2;
    }

    public static async Task<string?> ReadPasswordAsync(string[] args)
    {
        if (!Flag(args, "--password-stdin")) return null;
        var line = await Console.In.ReadLineAsync();
        return string.IsNullOrEmpty(line) ? null : line.TrimEnd('\r');
    }
}
