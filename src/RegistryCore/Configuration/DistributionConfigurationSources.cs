using System.Collections;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace Wharf.Registry.Configuration;

/// <summary>
/// Reads distribution's config.yml into configuration under the "registry" section, keys lower-cased and joined
/// with ':' (so <c>storage: delete: enabled</c> becomes <c>registry:storage:delete:enabled</c>).
/// </summary>
public sealed class DistributionYamlConfigurationSource(string path) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(path);

    private sealed class Provider(string path) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            using var reader = new StreamReader(path);
            var yaml = new YamlStream();
            try
            {
                yaml.Load(reader);
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                throw new InvalidDataException($"{path}: not valid YAML at line {e.Start.Line}: {e.Message}", e);
            }
            if (yaml.Documents.Count > 0) Flatten(yaml.Documents[0].RootNode, RegistryConfiguration.Section, data);
            Data = data;
        }

        private static void Flatten(YamlNode node, string prefix, Dictionary<string, string?> data)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                        Flatten(value, $"{prefix}:{((YamlScalarNode)key).Value?.ToLowerInvariant()}", data);
                    break;
                case YamlSequenceNode list:
                    var i = 0;
                    foreach (var item in list.Children) Flatten(item, $"{prefix}:{i++}", data);
                    break;
                case YamlScalarNode scalar:
                    data[prefix] = scalar.Value;
                    break;
            }
        }
    }
}

/// <summary>
/// distribution's environment overrides: <c>REGISTRY_</c> plus the upper-cased key path joined by '_'
/// (<c>REGISTRY_STORAGE_DELETE_ENABLED=true</c>). Added after the YAML file, so it wins, as in distribution.
/// </summary>
public sealed class DistributionEnvironmentConfigurationSource(IDictionary? variables = null) : IConfigurationSource
{
    public const string Prefix = "REGISTRY_";

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(variables ?? Environment.GetEnvironmentVariables());

    private sealed class Provider(IDictionary variables) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in variables)
            {
                var name = (string)entry.Key;
                if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || name.Length == Prefix.Length) continue;
                var path = name[Prefix.Length..].ToLowerInvariant().Replace('_', ':');
                data[$"{RegistryConfiguration.Section}:{path}"] = entry.Value as string;
            }
            Data = data;
        }
    }
}
