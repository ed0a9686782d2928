using Microsoft.Extensions.Configuration;
using Wharf.Registry.Configuration;

namespace Wharf.Registry.Notifications;

/// <summary>One of distribution's <c>notifications.endpoints</c>.</summary>
public sealed class NotificationEndpoint
{
    public required string Name { get; init; }
    public required Uri Url { get; init; }
    public IReadOnlyDictionary<string, string[]> Headers { get; init; } = new Dictionary<string, string[]>();
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Failures in a row after which the endpoint is left alone for <see cref="Backoff"/>.</summary>
    public int Threshold { get; init; } = 10;
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);
    public IReadOnlySet<string> IgnoredMediaTypes { get; init; } = new HashSet<string>();
    public IReadOnlySet<string> IgnoredActions { get; init; } = new HashSet<string>();

    /// <summary>The URL without user information, for logs and the portal.</summary>
    public string DisplayUrl => new UriBuilder(Url) { UserName = "", Password = "" }.Uri.ToString();

    public bool Wants(string action, string? mediaType) =>
        !IgnoredActions.Contains(action) && (mediaType is null || !IgnoredMediaTypes.Contains(mediaType));
}

/// <summary>distribution's <c>notifications</c> section, read once at start.</summary>
public static class NotificationSettings
{
    /// <exception cref="InvalidDataException">An endpoint lacks its name or URL, or a value is malformed.</exception>
    public static IReadOnlyList<NotificationEndpoint> Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(RegistryConfiguration.Section).GetSection("notifications");
        if (section["events:includereferences"]?.Trim().ToLowerInvariant() is "true")
            throw new InvalidDataException("notifications.events.includereferences: true is not available; remove it (manifest events carry the target only)");
        var endpoints = new List<NotificationEndpoint>();
        foreach (var entry in section.GetSection("endpoints").GetChildren())
        {
            var key = $"notifications.endpoints.{entry.Key}";
            if (entry["disabled"]?.Trim().ToLowerInvariant() is "true") continue;
            var name = entry["name"] is { Length: > 0 } n ? n.Trim() : throw new InvalidDataException($"{key}.name is required");
            if (name.Length > 128) throw new InvalidDataException($"{key}.name is longer than 128 characters");
            var url = Uri.TryCreate(entry["url"], UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                ? u : throw new InvalidDataException($"{key}.url '{entry["url"]}' is not an http(s) URL");
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in entry.GetSection("headers").GetChildren())
            {
                var values = header.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
                headers[header.Key] = values.Length > 0 ? values : header.Value is { } v ? [v] : [];
            }
            var ignoredMediaTypes = List(entry.GetSection("ignoredmediatypes")).Concat(List(entry.GetSection("ignore:mediatypes")));
            if (endpoints.Any(e => e.Name == name)) throw new InvalidDataException($"{key}.name '{name}' is used by two endpoints");
            endpoints.Add(new NotificationEndpoint
            {
                Name = name,
                Url = url,
                Headers = headers,
                Timeout = Duration(entry["timeout"], $"{key}.timeout") ?? TimeSpan.FromSeconds(5),
                Threshold = entry["threshold"] is { Length: > 0 } t
                    ? int.TryParse(t, out var threshold) && threshold > 0 ? threshold : throw new InvalidDataException($"{key}.threshold '{t}' is not a positive whole number")
                    : 10,
                Backoff = Duration(entry["backoff"], $"{key}.backoff") ?? TimeSpan.FromSeconds(1),
                IgnoredMediaTypes = ignoredMediaTypes.ToHashSet(StringComparer.OrdinalIgnoreCase),
                IgnoredActions = List(entry.GetSection("ignore:actions")).ToHashSet(StringComparer.OrdinalIgnoreCase),
            });
        }
        return endpoints;
    }

    private static IEnumerable<string> List(IConfigurationSection section) =>
        section.GetChildren().Select(c => c.Value).Append(section.Value).OfType<string>().Where(v => v.Length > 0);

    private static TimeSpan? Duration(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return GoDuration.TryParse(value, out var d) && d > TimeSpan.Zero ? d : throw new InvalidDataException($"{key}: '{value}' is not a positive duration such as 1s");
    }
}
