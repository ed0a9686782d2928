using System.Text.RegularExpressions;
using Wharf.Portal.Hosting;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Configuration;

/// <summary>
/// Every key of distribution's configuration reference has a fate, the README's table says the same as the code's,
/// and every refused key (and refused value) stops <c>wharf serve config.yml</c> with exit code 2 and a message
/// naming it.
/// </summary>
public sealed partial class ConfigurationFateTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wharf-fates-" + Guid.NewGuid().ToString("N"));

    public ConfigurationFateTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (Portal.sln) was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\| `(?<key>[^`]+)` \| (?<fate>works|ignored|refused) \|")]
    private static partial Regex ReadmeRow();

    private static Dictionary<string, KeyFate> ReadmeTable()
    {
        var rows = new Dictionary<string, KeyFate>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(RepositoryRoot(), "README.md")))
        {
            var match = ReadmeRow().Match(line);
            if (!match.Success) continue;
            rows[match.Groups["key"].Value] = match.Groups["fate"].Value switch
            {
                "works" => KeyFate.Honoured,
                "ignored" => KeyFate.Ignored,
                _ => KeyFate.Refused,
            };
        }
        return rows;
    }

    [Fact]
    public void Every_key_of_distributions_reference_has_a_fate_in_the_code_and_the_same_one_in_the_README()
    {
        var keys = File.ReadLines(Path.Combine(RepositoryRoot(), "tests/unit/Configuration/DistributionReferenceKeys.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.True(keys.Count > 180, "the reference list was not read");
        var readme = ReadmeTable();
        foreach (var key in keys)
        {
            var row = DistributionKeys.Find(key);
            Assert.True(row is not null, $"{key} has no fate in DistributionKeys");
            Assert.True(readme.TryGetValue(row.Pattern, out var fate), $"the README's table has no row for {row.Pattern} (covering {key})");
            Assert.Equal(row.Fate, fate);
        }
        // And the README has no row the code does not know.
        foreach (var (pattern, fate) in readme)
            Assert.Equal(fate, Assert.Single(DistributionKeys.All, k => k.Pattern == pattern).Fate);
        Assert.Equal(DistributionKeys.All.Count, readme.Count);
    }

    public static TheoryData<string> RefusedKeys() => new(DistributionKeys.All.Where(k => k.Fate == KeyFate.Refused).Select(k => k.Pattern));

    [Theory]
    [MemberData(nameof(RefusedKeys))]
    public async Task A_refused_key_stops_the_start_with_exit_code_2_and_says_why(string pattern)
    {
        var key = pattern.Replace(".**", ".x").Replace(".*", ".0");
        var (code, error) = await ServeAsync(FlowYaml(pattern));
        Assert.Equal(2, code);
        Assert.Contains($"{key}: {DistributionKeys.Find(key)!.Note}", error);
        Assert.Contains("Wharf cannot honour this configuration", error);
    }

    [Theory]
    [InlineData("{compatibility: {schema1: {enabled: true}}}", "compatibility.schema1.enabled: true")]
    [InlineData("{validation: {enabled: false}}", "Wharf always checks that a manifest's blobs exist")]
    [InlineData("{validation: {disabled: true}}", "Wharf always checks that a manifest's blobs exist")]
    [InlineData("{version: 0.2}", "version: '0.2' is not 0.1")]
    [InlineData("{log: {formatter: logstash}}", "log.formatter: logstash is not available")]
    [InlineData("{http: {tls: {minimumtls: tls1.0}}}", "http.tls.minimumtls tls1.0")]
    [InlineData("{http: {net: udp}}", "http.net 'udp' is not tcp or unix")]
    [InlineData("{http: {host: 'registry.example.com'}}", "http.host 'registry.example.com' is not a URL")]
    [InlineData("{http: {tls: {clientcas: [/nonexistent/ca.pem]}}}", "http.tls.clientcas: /nonexistent/ca.pem does not exist")]
    [InlineData("{auth: {htpasswd: {realm: r, path: /nonexistent/htpasswd}}}", "auth.htpasswd.path: /nonexistent/htpasswd does not exist")]
    [InlineData("{health: {storagedriver: {enabled: true, threshold: 0}}}", "health.storagedriver.threshold: '0' is not a positive whole number")]
    public async Task A_value_Wharf_cannot_honour_stops_the_start_with_exit_code_2(string yaml, string message)
    {
        var (code, error) = await ServeAsync(yaml);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Garbage_collect_refuses_a_grace_period_that_is_not_a_duration()
    {
        var error = new StringWriter();
        Assert.Equal(2, await WharfCommandLine.RunAsync(["garbage-collect", "--dry-run", "--grace-period", "soon"], error));
        Assert.Contains("--grace-period 'soon' is not a duration", error.ToString());
    }

    /// <summary>Runs <c>wharf serve config.yml</c> in this process, with a store in the test's directory.</summary>
    private async Task<(int Code, string Error)> ServeAsync(string yaml)
    {
        var path = Path.Combine(_dir, "config.yml");
        var root = Path.Combine(_dir, "data").Replace("\\", "/");
        // The document under test, then the test's own storage root (a flow mapping merged by a second top-level key is not YAML; so nest).
        await File.WriteAllTextAsync(path, yaml.Contains("storage", StringComparison.Ordinal) ? yaml : yaml[..^1] + $", storage: {{filesystem: {{rootdirectory: '{root}'}}}}}}");
        var error = new StringWriter();
        var code = await WharfCommandLine.RunAsync(["serve", path], error);
        return (code, error.ToString());
    }

    /// <summary>A YAML flow document that sets the key: <c>*</c> becomes a one-item list, <c>**</c> a key named x.</summary>
    private static string FlowYaml(string pattern)
    {
        var segments = pattern.Split('.');
        string Build(int i) => i == segments.Length ? "x"
            : segments[i] == "*" ? $"[{Build(i + 1)}]"
            : segments[i] == "**" ? "{x: x}"
            : $"{{{segments[i]}: {Build(i + 1)}}}";
        return Build(0);
    }
}
