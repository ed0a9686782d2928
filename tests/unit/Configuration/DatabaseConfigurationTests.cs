using Microsoft.Extensions.Configuration;
using Npgsql;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Configuration;

/// <summary>GitLab's database section (and REGISTRY_DATABASE_*), or Wharf:Database:ConnectionString, choose PostgreSQL.</summary>
public sealed class DatabaseConfigurationTests
{
    private static DatabaseSettings Bind(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        return RegistryConfiguration.Bind(configuration).Database;
    }

    [Fact]
    public void Nothing_configured_is_SQLite()
    {
        var settings = Bind();
        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Null(settings.ConnectionString);
    }

    [Fact]
    public void The_database_section_builds_a_connection_string()
    {
        var settings = Bind(("registry:database:enabled", "true"), ("registry:database:host", "db.internal"), ("registry:database:port", "5433"),
            ("registry:database:user", "registry"), ("registry:database:password", "s3cret pass"), ("registry:database:dbname", "registry_prod"),
            ("registry:database:sslmode", "verify-full"));

        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(("db.internal", 5433, "registry", "s3cret pass", "registry_prod", SslMode.VerifyFull),
            (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database, builder.SslMode));
        Assert.DoesNotContain("s3cret", settings.ToString());
    }

    [Fact]
    public void Distributions_environment_rule_reaches_the_section()
    {
        var environment = new Dictionary<string, string>
        {
            ["REGISTRY_DATABASE_ENABLED"] = "true", ["REGISTRY_DATABASE_HOST"] = "pg", ["REGISTRY_DATABASE_USER"] = "u",
            ["REGISTRY_DATABASE_DBNAME"] = "d", ["REGISTRY_DATABASE_SSLMODE"] = "disable",
        };
        var configuration = new ConfigurationBuilder().Add(new DistributionEnvironmentConfigurationSource(environment)).Build();
        var settings = RegistryConfiguration.Bind(configuration).Database;

        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(("pg", 5432, "u", "d", SslMode.Disable), (builder.Host, builder.Port, builder.Username, builder.Database, builder.SslMode));
    }

    [Fact]
    public void The_AspNet_connection_string_chooses_PostgreSQL()
    {
        var settings = Bind(("Wharf:Database:ConnectionString", "Host=127.0.0.1;Port=5432;Username=wharf;Password=x;Database=wharf"));
        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        Assert.Equal("wharf", new NpgsqlConnectionStringBuilder(settings.ConnectionString).Database);
    }

    [Theory]
    [InlineData("registry:database:sslmode", "sometimes", "sslmode")]
    [InlineData("registry:database:port", "eighty", "database.port")]
    [InlineData("registry:database:host", "", "database.host")]
    public void Bad_or_missing_values_refuse_to_start(string key, string value, string named)
    {
        var values = new Dictionary<string, string>
        {
            ["registry:database:enabled"] = "true", ["registry:database:host"] = "pg", ["registry:database:user"] = "u", ["registry:database:dbname"] = "d",
            [key] = value,
        };
        var error = Assert.Throws<InvalidDataException>(() => Bind(values.Select(v => (v.Key, v.Value)).ToArray()));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Both_ways_at_once_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => Bind(("registry:database:enabled", "true"), ("registry:database:host", "pg"),
            ("Wharf:Database:ConnectionString", "Host=other")));
        Assert.Contains("keep one", error.Message);
    }
}
