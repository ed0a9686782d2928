using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// distribution's <c>auth.token</c>: Wharf behind an external token server (written here, signing with a
/// certificate issued by a CA made with openssl; the CA is the rootcertbundle). skopeo logs in through it, and push
/// and pull work exactly as far as the token server's access claims reach.
/// </summary>
public sealed class ExternalTokenAuthTests : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "Alice-token-pa55";

    private readonly TempDirectory _temp = new("wharf-external-token");
    private TokenServer _tokens = null!;
    private WharfProcess _wharf = null!;
    private OciLayout _layout = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        // alice may push and pull team/*, only pull shared/*, and nothing else.
        _tokens = await TokenServer.StartWithOpenSslCaAsync(_temp.Combine("tokens"), User, Password, (_, scope) =>
            scope.StartsWith("repository:team/", StringComparison.Ordinal) ? scope
            : scope.StartsWith("repository:shared/", StringComparison.Ordinal) ? scope[..(scope.LastIndexOf(':') + 1)] + "pull"
            : null);
        var config = _temp.Combine("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_temp.Combine("data")}
              delete:
                enabled: true
            {_tokens.RegistryAuthYaml}
            """);
        _wharf = await WharfProcess.StartAsync(_temp.Combine("data"), configFile: config);
        _layout = new OciLayout(_temp.Combine("images"));
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        await _tokens.DisposeAsync();
        _temp.Dispose();
    }

    private Task<ExternalTool.Result> Skopeo(params string[] arguments) =>
        ExternalTool.RunAsync("skopeo", arguments, environment: new Dictionary<string, string> { ["REGISTRY_AUTH_FILE"] = _temp.Combine("auth.json") });

    [Fact]
    public async Task Skopeo_logs_in_through_the_token_server_and_may_do_what_its_access_claims_allow()
    {
        var image = _layout.AddImage("v1", [(31, 200_000), (32, 50_000)]);
        var registry = _wharf.HostPort;

        var anonymous = await Skopeo("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:v1", $"docker://{registry}/team/app:1");
        Assert.NotEqual(0, anonymous.ExitCode);

        var wrong = await Skopeo("login", "--tls-verify=false", "-u", User, "-p", "wrong-password", registry);
        Assert.NotEqual(0, wrong.ExitCode);
        var login = await Skopeo("login", "--tls-verify=false", "-u", User, "-p", Password, registry);
        Assert.True(login.ExitCode == 0, login.All);
        // The login went to the external token server, which granted it.
        Assert.Contains(_tokens.Requests, r => r.User == User && r.Granted);

        var push = await Skopeo("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:v1", $"docker://{registry}/team/app:1");
        Assert.True(push.ExitCode == 0, push.All);
        var pulled = _temp.Combine("pulled");
        var pull = await Skopeo("copy", "--src-tls-verify=false", $"docker://{registry}/team/app:1", $"oci:{pulled}:x");
        Assert.True(pull.ExitCode == 0, pull.All);
        using (var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(pulled, "index.json"))))
            Assert.Equal(image.ManifestDigest, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
        Assert.Contains(_tokens.Requests, r => r.Granted && r.Scopes.Contains("repository:team/app:pull,push"));

        // shared/* is pull-only and other/* not granted: both pushes are refused by Wharf.
        var pullOnly = await Skopeo("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:v1", $"docker://{registry}/shared/base:1");
        Assert.NotEqual(0, pullOnly.ExitCode);
        Assert.Contains("unauthorized", pullOnly.All, StringComparison.OrdinalIgnoreCase);
        var none = await Skopeo("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:v1", $"docker://{registry}/other/x:1");
        Assert.NotEqual(0, none.ExitCode);
        var foreign = await Skopeo("inspect", "--tls-verify=false", "--raw", $"docker://{registry}/other/x:1");
        Assert.NotEqual(0, foreign.ExitCode);

        // The refusal, as an HTTP client sees it: a token that grants shared/base pull only does not start an upload.
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var tokenJson = await http.GetStringAsync($"{_tokens.Realm}?service={TokenServer.Service}&scope=repository:shared/base:pull,push");
        using var token = JsonDocument.Parse(tokenJson);
        using var upload = new HttpRequestMessage(HttpMethod.Post, $"{_wharf.BaseUrl}/v2/shared/base/blobs/uploads/");
        upload.Headers.Authorization = new("Bearer", token.RootElement.GetProperty("token").GetString());
        using var refused = await new HttpClient().SendAsync(upload);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Contains($"realm=\"{_tokens.Realm}\"", refused.Headers.WwwAuthenticate.ToString());

        // What alice may pull, she pulls, through the same login.
        var again = await Skopeo("inspect", "--tls-verify=false", "--raw", $"docker://{registry}/team/app:1");
        Assert.True(again.ExitCode == 0, again.All);
    }
}
