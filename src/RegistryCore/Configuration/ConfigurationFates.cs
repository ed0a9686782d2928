using Microsoft.Extensions.Configuration;

namespace Wharf.Registry.Configuration;

/// <summary>What start-up must say about the configuration: keys ignored on purpose, and keys distribution does not know.</summary>
public sealed record ConfigurationReview(IReadOnlyList<DistributionKey> Ignored, IReadOnlyList<string> Unknown);

/// <summary>
/// Applies <see cref="DistributionKeys"/> to the configuration Wharf was started with (config.yml and REGISTRY_*
/// variables): refused keys stop the start with one message naming each of them and what to do instead; the
/// caller logs one information line per ignored key and a warning per key distribution has not heard of either
/// (a typo, most often).
/// </summary>
public static class ConfigurationFates
{
    /// <exception cref="InvalidDataException">A key (or a key's value) Wharf cannot honour is set.</exception>
    public static ConfigurationReview Review(IConfiguration configuration)
    {
        var ignored = new List<DistributionKey>();
        var unknown = new List<string>();
        var refusals = new List<string>();
        var registry = configuration.GetSection(RegistryConfiguration.Section);
        foreach (var key in Leaves(registry))
        {
            var row = DistributionKeys.Find(key);
            switch (row?.Fate)
            {
                case null: unknown.Add(key); break;
                case KeyFate.Ignored: if (!ignored.Contains(row)) ignored.Add(row); break;
                case KeyFate.Refused: refusals.Add($"{key}: {row.Note}"); break;
            }
        }
        refusals.AddRange(RefusedValues(registry));
        if (refusals.Count > 0)
            throw new InvalidDataException("Wharf cannot honour this configuration, so it does not start:\n  " + string.Join("\n  ", refusals.Distinct()));
        return new ConfigurationReview(ignored, unknown);
    }

    /// <summary>Keys Wharf honours for some values only.</summary>
    private static IEnumerable<string> RefusedValues(IConfigurationSection registry)
    {
        if (IsTrue(registry["compatibility:schema1:enabled"]))
            yield return "compatibility.schema1.enabled: true: Wharf never accepts or produces schema1 manifests; remove the key";
        if (IsFalse(registry["validation:enabled"]) || IsTrue(registry["validation:disabled"]))
            yield return "validation: Wharf always checks that a manifest's blobs exist; remove validation.enabled/validation.disabled";
        if (registry["version"] is { Length: > 0 } version && version.Trim() != "0.1")
            yield return $"version: '{version}' is not 0.1, the only configuration version distribution (and Wharf) reads";
    }

    /// <summary>Every key that holds a value (or is an empty map such as <c>inmemory:</c>), dotted and lower-cased.</summary>
    private static IEnumerable<string> Leaves(IConfigurationSection registry)
    {
        foreach (var (key, value) in registry.AsEnumerable(makePathsRelative: true))
        {
            if (value is null && registry.GetSection(key).GetChildren().Any()) continue;
            yield return key.ToLowerInvariant().Replace(':', '.');
        }
    }

    private static bool IsTrue(string? value) => value?.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on";

    private static bool IsFalse(string? value) => value?.Trim().ToLowerInvariant() is "false" or "0" or "no" or "off";
}
