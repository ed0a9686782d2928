using Microsoft.Extensions.Configuration;

namespace Wharf.Registry.Configuration;

/// <summary>
/// Maps distribution's configuration keys (section "registry") onto <see cref="RegistryOptions"/>; which keys are
/// honoured, ignored or refused is <see cref="DistributionKeys"/>'s table.
/// </summary>
public static class RegistryConfiguration
{
    public const string Section = "registry";

    public static RegistryOptions Bind(IConfiguration configuration, RegistryOptions? into = null)
    {
        var options = into ?? new RegistryOptions();
        var registry = configuration.GetSection(Section);

        options.HttpAddress = registry["http:addr"] is { Length: > 0 } addr ? addr : options.HttpAddress;
        options.TlsCertificate = NonEmpty(registry["http:tls:certificate"]) ?? options.TlsCertificate;
        options.TlsKey = NonEmpty(registry["http:tls:key"]) ?? options.TlsKey;
        options.RootDirectory = NonEmpty(registry["storage:filesystem:rootdirectory"]) ?? options.RootDirectory;
        options.DeleteEnabled = Bool(registry["storage:delete:enabled"]) ?? options.DeleteEnabled;
        options.ReadOnly = Bool(registry["storage:maintenance:readonly:enabled"]) ?? options.ReadOnly;
        options.UploadPurgingEnabled = Bool(registry["storage:maintenance:uploadpurging:enabled"]) ?? options.UploadPurgingEnabled;
        options.UploadPurgingDryRun = Bool(registry["storage:maintenance:uploadpurging:dryrun"]) ?? options.UploadPurgingDryRun;
        options.UploadPurgingAge = Duration(registry["storage:maintenance:uploadpurging:age"], "storage.maintenance.uploadpurging.age") ?? options.UploadPurgingAge;
        options.UploadPurgingInterval = Duration(registry["storage:maintenance:uploadpurging:interval"], "storage.maintenance.uploadpurging.interval") ?? options.UploadPurgingInterval;
        options.LogLevel = NonEmpty(registry["log:level"]) ?? NonEmpty(registry["loglevel"]) ?? options.LogLevel;
        options.Proxy.RemoteUrl = NonEmpty(registry["proxy:remoteurl"]) ?? options.Proxy.RemoteUrl;
        options.Proxy.Username = NonEmpty(registry["proxy:username"]) ?? options.Proxy.Username;
        options.Proxy.Password = NonEmpty(registry["proxy:password"]) ?? options.Proxy.Password;
        options.Proxy.Ttl = Duration(registry["proxy:ttl"], "proxy.ttl") ?? options.Proxy.Ttl;
        StorageConfiguration.Bind(registry, options.Storage);

        options.ManifestUrlsAllow = Patterns(registry.GetSection("validation:manifests:urls:allow"), "validation.manifests.urls.allow");
        options.ManifestUrlsDeny = Patterns(registry.GetSection("validation:manifests:urls:deny"), "validation.manifests.urls.deny");

        // Wharf's own settings, in the usual ASP.NET Core places (appsettings.json, Wharf__* variables).
        var wharf = configuration.GetSection("Wharf");
        options.DataDirectory = NonEmpty(wharf["DataDirectory"]) ?? options.DataDirectory;
        if (int.TryParse(wharf["MaxManifestBytes"], out var maxManifest) && maxManifest > 0) options.MaxManifestBytes = maxManifest;
        // Capping sessions per repository let one pusher shut a repository for everyone; the caps are per caller now.
        if (wharf["MaxUploadSessionsPerRepository"] is not null)
            throw new InvalidDataException("Wharf:MaxUploadSessionsPerRepository is no longer supported: upload sessions are capped per caller " +
                "(Wharf:Uploads:MaxSessionsPerCaller) and overall (Wharf:Uploads:MaxSessions)");
        options.Proxy.AllowAnonymous = Bool(wharf["Proxy:AllowAnonymous"]) ?? options.Proxy.AllowAnonymous;
        if (wharf["Proxy:FetchWait"] is { } fetchWait)
            options.Proxy.FetchWait = TimeSpan.TryParse(fetchWait, System.Globalization.CultureInfo.InvariantCulture, out var wait) && wait > TimeSpan.Zero
                ? wait
                : throw new InvalidDataException($"Wharf:Proxy:FetchWait must be a positive time span such as 00:10:00, not '{fetchWait}'");
        options.Database = DatabaseConfiguration.Bind(registry.GetSection("database"), wharf.GetSection("Database"));
        foreach (var upstream in wharf.GetSection("Upstreams").GetChildren())
        {
            var source = $"Wharf:Upstreams:{upstream.Key}";
            options.Upstreams.Add(new UpstreamSettings
            {
                Source = source,
                Name = NonEmpty(upstream["Name"]),
                Prefix = upstream["Prefix"]?.Trim(),
                Url = NonEmpty(upstream["Url"]),
                Username = NonEmpty(upstream["Username"]),
                Password = upstream["Password"] is { Length: > 0 } password ? password : null,
                Ttl = Duration(upstream["Ttl"], $"{source}:Ttl"),
                AllowAnonymous = Bool(upstream["AllowAnonymous"]) ?? false,
            });
        }
        return options;
    }

    private static List<System.Text.RegularExpressions.Regex> Patterns(IConfigurationSection section, string key)
    {
        var patterns = new List<System.Text.RegularExpressions.Regex>();
        foreach (var value in section.GetChildren().Select(c => c.Value).Append(section.Value).OfType<string>().Where(v => v.Length > 0))
        {
            try
            {
                patterns.Add(new System.Text.RegularExpressions.Regex(value, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{key}: '{value}' is not a regular expression: {e.Message}");
            }
        }
        return patterns;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? Bool(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };

    private static TimeSpan? Duration(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return GoDuration.TryParse(value, out var duration)
            ? duration
            : throw new InvalidDataException($"{key}: '{value}' is not a duration (use forms like 168h, 30m, 90s)");
    }
}
