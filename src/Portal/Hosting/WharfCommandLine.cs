
namespace Wharf.Portal.Hosting;

/// <summary>The command line, in the shape of distribution's (<c>registry serve config.yml</c>).</summary>
public static class WharfCommandLine
{
    private const string Usage = """
        usage: wharf [serve] [config.yml] [--key=value ...]
               wharf import [--merge] [--defer-verification] [config.yml]
               wharf export [config.yml]   (writes distribution's link files, for going back to registry:2)
               wharf garbage-collect [--dry-run] [--delete-untagged] [--grace-period DURATION] [config.yml]
               wharf copy-to-postgresql [config.yml]   (target: WHARF_TARGET_DATABASE, an empty PostgreSQL database)
        The config file may also be named by REGISTRY_CONFIGURATION_PATH.
        """ + "\n" + AdminCommandHost.Usage;

    /// <param name="error">Where start-up errors go (standard error unless a test captures them).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? error = null)
    {
        if (args.Length > 0 && AdminCommandHost.Commands.Contains(args[0])) return await AdminCommandHost.RunAsync(args);
        error ??= Console.Error;
        var command = args.Length > 0 && !args[0].StartsWith('-') && !args[0].EndsWith(".yml") && !args[0].EndsWith(".yaml") ? args[0] : "serve";
        var rest = command == "serve" && (args.Length == 0 || args[0] != "serve") ? args : args.Skip(1).ToArray();
        // Flags of garbage-collect (distribution's) and import may come before the config file.
        var commandFlags = command switch
        {
            "garbage-collect" => rest.Where(GarbageCollectCommand.IsFlag).ToArray(),
            "import" => rest.Where(a => a is DistributionCommands.MergeFlag or DistributionCommands.DeferVerificationFlag).ToArray(),
            _ => [],
        };
        rest = rest.Where(a => !commandFlags.Contains(a)).ToArray();
        string[] gracePeriod = [];
        if (command == "garbage-collect")
        {
            try
            {
                (rest, gracePeriod) = GracePeriodArgument(rest);
            }
            catch (InvalidDataException e)
            {
                await error.WriteLineAsync($"wharf: {e.Message}");
                return 2;
            }
        }
        var configPath = rest.Length > 0 && !rest[0].StartsWith('-') ? rest[0] : Environment.GetEnvironmentVariable("REGISTRY_CONFIGURATION_PATH");
        var hostArgs = rest.SkipWhile(a => !a.StartsWith('-')).Concat(gracePeriod).ToArray();
        if (configPath is not null && !File.Exists(configPath))
        {
            await error.WriteLineAsync($"configuration file not found: {configPath}");
            return 2;
        }

        try
        {
            return await RunCommandAsync(command, hostArgs, configPath, commandFlags);
        }
        catch (InvalidDataException e)
        {
            // Configuration Wharf cannot honour: say what and why, without a stack trace.
            await error.WriteLineAsync($"wharf: configuration error: {e.Message}");
            return 2;
        }
    }

    /// <summary>
    /// <c>--grace-period 2h</c> (or <c>=2h</c>; Go or .NET duration syntax): garbage-collect keeps what is younger,
    /// overriding Wharf:GarbageCollection:GracePeriod for this run.
    /// </summary>
    private static (string[] Remaining, string[] HostArgs) GracePeriodArgument(string[] args)
    {
        var rest = new List<string>();
        string? value = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--grace-period=", StringComparison.Ordinal)) value = args[i]["--grace-period=".Length..];
            else if (args[i] == "--grace-period")
                value = i + 1 < args.Length ? args[++i] : throw new InvalidDataException("--grace-period needs a duration, such as 2h or 30m");
            else rest.Add(args[i]);
        }
        if (value is null) return (rest.ToArray(), []);
        if (!Wharf.Registry.Configuration.GoDuration.TryParse(value, out var grace) || grace < TimeSpan.Zero)
            throw new InvalidDataException($"--grace-period '{value}' is not a duration such as 2h, 30m or 0");
        return (rest.ToArray(), [$"--{Wharf.Registry.Gc.GarbageCollectionOptions.Section}:GracePeriod={grace:c}"]);
    }

    private static async Task<int> RunCommandAsync(string command, string[] hostArgs, string? configPath, string[] commandFlags)
    {
        switch (command)
        {
            case "serve":
                var app = WharfHost.Build(hostArgs, configPath);
                await WharfHost.InitializeAsync(app, importDistributionData: true);
                await app.RunAsync();
                return 0;
            case "import":
                return await DistributionCommands.ImportAsync(hostArgs, configPath, merge: commandFlags.Contains(DistributionCommands.MergeFlag), Console.Out, Console.Error,
                    deferVerification: commandFlags.Contains(DistributionCommands.DeferVerificationFlag));
            case "export":
                return await DistributionCommands.ExportAsync(hostArgs, configPath, Console.Out, Console.Error);
            case "garbage-collect":
                return await GarbageCollectCommand.RunAsync(hostArgs, configPath, commandFlags, Console.Out);
            case "copy-to-postgresql":
                var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory });
                if (configPath is not null)
                    ((IConfigurationBuilder)builder.Configuration).Add(new Registry.Configuration.DistributionYamlConfigurationSource(Path.GetFullPath(configPath)));
                ((IConfigurationBuilder)builder.Configuration).Add(new Registry.Configuration.DistributionEnvironmentConfigurationSource());
                builder.Configuration.AddCommandLine(hostArgs);
                return await CopyToPostgreSqlCommand.RunAsync(Registry.Configuration.RegistryConfiguration.Bind(builder.Configuration),
                    Environment.GetEnvironmentVariable(CopyToPostgreSqlCommand.TargetVariable), Console.Out, Console.Error, CancellationToken.None);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown command '{command}'\n{Usage}");
                return 2;
        }
    }
}
