using System.Collections;
using Microsoft.Extensions.Configuration;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Configuration;

public sealed class RegistryConfigurationTests : IDisposable
{
    // distribution's sample config.yml, plus keys Wharf does not know.
    private const string Yaml = """
        version: 0.1
        log:
          level: debug
          fields:
            service: registry
        storage:
          cache:
            blobdescriptor: inmemory
          filesystem:
            rootdirectory: /var/lib/registry
          delete:
            enabled: true
          maintenance:
            uploadpurging:
              enabled: true
              age: 168h
              interval: 24h
              dryrun: false
        http:
          addr: :5000
          headers:
            X-Content-Type-Options: [nosniff]
        health:
          storagedriver:
            enabled: true
            interval: 10s
            threshold: 3
        proxy:
          remoteurl: https://registry-1.docker.io
          username: u
          password: p
          ttl: 72h
        notifications:
          foo: bar
        madeup: 1
        """;

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["REGISTRY_STORAGE_DELETE_ENABLED"] = "false",
        ["REGISTRY_HTTP_ADDR"] = "127.0.0.1:6000",
        ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = "/srv/x",
        ["REGISTRY_PROXY_REMOTEURL"] = "https://mirror.example.com",
        ["REGISTRY_PROXY_USERNAME"] = "env-user",
        ["REGISTRY_PROXY_PASSWORD"] = "env-pass",
        ["REGISTRY_LOG_LEVEL"] = "warn",
        ["REGISTRY_HTTP_TLS_CERTIFICATE"] = "/certs/registry.crt",
        ["REGISTRY_HTTP_TLS_KEY"] = "/certs/registry.key",
        // Not ours: ignored.
        ["PATH"] = "/usr/bin",
        ["REGISTRY_"] = "nothing",
    };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IConfiguration Build(IDictionary? environment)
    {
        var path = _dir.Combine("config.yml");
        File.WriteAllText(path, Yaml);
        var builder = new ConfigurationBuilder().Add(new DistributionYamlConfigurationSource(path));
        if (environment is not null) builder.Add(new DistributionEnvironmentConfigurationSource(environment));
        return builder.Build();
    }

    [Fact]
    public void Yaml_values_are_bound()
    {
        var configuration = Build(environment: null);
        var options = RegistryConfiguration.Bind(configuration);

        Assert.Equal("0.1", configuration["registry:version"]);
        Assert.Equal("nosniff", configuration["registry:http:headers:x-content-type-options:0"]);
        Assert.Equal(":5000", options.HttpAddress);
        Assert.Null(options.TlsCertificate);
        Assert.Null(options.TlsKey);
        Assert.Equal("/var/lib/registry", options.RootDirectory);
        Assert.True(options.DeleteEnabled);
        Assert.Equal("debug", options.LogLevel);
        Assert.Equal("https://registry-1.docker.io", options.Proxy.RemoteUrl);
        Assert.Equal("u", options.Proxy.Username);
        Assert.Equal("p", options.Proxy.Password);
    }

    [Fact]
    public void Environment_overrides_win_over_yaml()
    {
        var options = RegistryConfiguration.Bind(Build(Environment));

        Assert.Equal("127.0.0.1:6000", options.HttpAddress);
        Assert.Equal("/certs/registry.crt", options.TlsCertificate);
        Assert.Equal("/certs/registry.key", options.TlsKey);
        Assert.Equal("/srv/x", options.RootDirectory);
        Assert.False(options.DeleteEnabled);
        Assert.Equal("warn", options.LogLevel);
        Assert.Equal("https://mirror.example.com", options.Proxy.RemoteUrl);
        Assert.Equal("env-user", options.Proxy.Username);
        Assert.Equal("env-pass", options.Proxy.Password);
        // Untouched by the environment: still the YAML's.
        Assert.Equal(TimeSpan.FromHours(72), options.Proxy.Ttl);
        Assert.True(options.UploadPurgingEnabled);
        Assert.Equal(TimeSpan.FromHours(168), options.UploadPurgingAge);
        Assert.Equal(TimeSpan.FromHours(24), options.UploadPurgingInterval);
        Assert.False(options.UploadPurgingDryRun);
        Assert.False(options.ReadOnly);
        Assert.Equal(Path.Combine("/srv/x", "wharf"), options.ResolvedDataDirectory);
    }

    [Fact]
    public void Review_reports_keys_distribution_does_not_have_and_the_ignored_ones()
    {
        var review = ConfigurationFates.Review(Build(Environment));
        Assert.Equal(["madeup", "notifications.foo"], review.Unknown.Order());
        Assert.Equal(["storage.cache.blobdescriptor"], review.Ignored.Select(k => k.Pattern));
    }

    [Fact]
    public void A_storage_driver_Wharf_lacks_refuses_to_start_even_from_the_environment()
    {
        var environment = new Dictionary<string, string> { ["REGISTRY_STORAGE_GCS_BUCKET"] = "b" };
        var e = Assert.Throws<InvalidDataException>(() => ConfigurationFates.Review(Build(environment)));
        Assert.Contains("storage.gcs.bucket: this storage driver is not available in Wharf", e.Message);
    }

    [Fact]
    public void Invalid_duration_names_the_key()
    {
        var environment = new Dictionary<string, string> { ["REGISTRY_PROXY_TTL"] = "3 days" };
        var e = Assert.Throws<InvalidDataException>(() => RegistryConfiguration.Bind(Build(environment)));
        Assert.Contains("proxy.ttl", e.Message);
    }

    [Fact]
    public void Invalid_yaml_is_reported_with_its_path()
    {
        var path = _dir.Combine("broken.yml");
        File.WriteAllText(path, "storage: [unclosed\n");
        var e = Assert.Throws<InvalidDataException>(() => new ConfigurationBuilder().Add(new DistributionYamlConfigurationSource(path)).Build());
        Assert.StartsWith(path + ": not valid YAML", e.Message);
    }
}
