using System.Text.Json;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// Docker's token flow against a real upstream: distribution 2.8 with <c>auth: token</c>, in front of a test token
/// service on loopback that issues ES256 JWTs. Wharf must follow the challenge, fetch a token for the service and
/// scope with its credentials, reuse it until it expires, then fetch a new one.
/// </summary>
public sealed class ProxyTokenAuthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "token-user";
    private const string Password = "Token-Pa55-e2e";

    private readonly TempDirectory _temp = new("wharf-token");
    private TokenServer _tokens = null!;
    private UpstreamRegistry _upstream = null!;
    private SameOriginFront _front = null!;
    private WharfProcess? _wharf;
    private OciLayout _layout = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _tokens = TokenServer.Start(_temp.Path, User, Password);
        // The registry and its token service behind one origin: Wharf sends credentials over plain HTTP only there.
        var frontPort = SameOriginFront.ReservePort();
        _tokens.PublicRealm = $"http://127.0.0.1:{frontPort}/token";
        _upstream = await UpstreamRegistry.StartWithTokenServiceAsync(_temp.Combine("upstream"), _tokens, User, Password);
        _front = await SameOriginFront.StartAsync(_temp.Combine("front"), frontPort, _upstream.HostPort, _tokens.Port);
        _layout = new OciLayout(_temp.Combine("images"));
    }

    public async Task DisposeAsync()
    {
        if (_wharf is not null) await _wharf.DisposeAsync();
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
        await _tokens.DisposeAsync();
        _temp.Dispose();
    }

    private async Task<WharfProcess> StartWharfAsync(string password) =>
        _wharf = await WharfProcess.StartAsync(_temp.Combine("wharf"), new Dictionary<string, string>
        {
            ["Wharf__Auth__Mode"] = "none", // anonymous callers: the tokens under test are the upstream's
            ["Wharf__Upstreams__0__Name"] = "corp",
            ["Wharf__Upstreams__0__Prefix"] = "corp",
            ["Wharf__Upstreams__0__Url"] = _front.Url,
            ["Wharf__Upstreams__0__Username"] = User,
            ["Wharf__Upstreams__0__Password"] = password,
            ["Wharf__Upstreams__0__AllowAnonymous"] = "true",
        });

    private static string PulledManifestDigest(string layoutDirectory)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layoutDirectory, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    [Fact]
    public async Task Pulls_through_a_token_protected_upstream_reusing_the_token_until_it_expires()
    {
        var v1 = _layout.AddImage("v1", [(80, 300_000), (81, 90_000)]);
        var v2 = _layout.AddImage("v2", [(82, 120_000)]);
        await _upstream.PushAsync(_layout, "v1", "team/service:v1");
        await _upstream.PushAsync(_layout, "v2", "team/service:v2");
        var anonymous = await ExternalTool.SkopeoAsync("inspect", "--tls-verify=false", "--raw", $"docker://{_upstream.HostPort}/team/service:v1");
        Assert.NotEqual(0, anonymous.ExitCode); // the upstream really wants a token
        var before = _tokens.Requests.Count;
        _tokens.Lifetime = TimeSpan.FromSeconds(6);
        var wharf = await StartWharfAsync(Password);

        var first = _temp.Combine("pulled-v1");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/corp/team/service:v1", $"oci:{first}:x");
        Assert.Equal(v1.ManifestDigest, PulledManifestDigest(first));

        // One pull is a HEAD and a GET of the manifest and three blob GETs upstream, all on one token.
        var requests = _upstream.AccessLog().Count(l => l.UserAgent.StartsWith("Wharf", StringComparison.Ordinal) && l.Status == 200);
        var issued = _tokens.Requests.Skip(before).ToList();
        output.WriteLine($"{requests} successful upstream requests, {issued.Count} token requests: {string.Join("; ", issued.Select(r => $"{r.User} {string.Join(' ', r.Scopes)} {r.Granted}"))}");
        Assert.True(requests >= 5, $"only {requests} requests reached the upstream");
        Assert.Single(issued);
        Assert.Equal(User, issued[0].User);
        Assert.Equal(["repository:team/service:pull"], issued[0].Scopes);
        Assert.Equal(1, _upstream.AccessLog().Count(l => l.Status == 401 && l.UserAgent.StartsWith("Wharf", StringComparison.Ordinal)));

        // After the token's lifetime a new one is fetched (the old one would be refused).
        await Task.Delay(TimeSpan.FromSeconds(6));
        var second = _temp.Combine("pulled-v2");
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/corp/team/service:v2", $"oci:{second}:x");
        Assert.Equal(v2.ManifestDigest, PulledManifestDigest(second));
        var all = _tokens.Requests.Skip(before).ToList();
        Assert.Equal(2, all.Count);
        Assert.All(all, r => Assert.True(r.Granted && r.User == User));
    }

    [Fact]
    public async Task A_password_the_token_service_refuses_gives_a_clear_error()
    {
        _layout.AddImage("v1", [(83, 50_000)]);
        await _upstream.PushAsync(_layout, "v1", "team/service:v1");
        var wharf = await StartWharfAsync("Wrong-Token-Pa55");

        var result = await ExternalTool.SkopeoAsync("copy", "--src-tls-verify=false", $"docker://{wharf.HostPort}/corp/team/service:v1", $"oci:{_temp.Combine("pulled")}:x");
        output.WriteLine(result.All);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"rejected the credentials configured for user '{User}'", result.All);
        Assert.DoesNotContain("Wrong-Token-Pa55", result.All);
        Assert.DoesNotContain("Wrong-Token-Pa55", wharf.Log);
    }
}
