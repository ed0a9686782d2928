using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E;

/// <summary>
/// Registry authentication with real clients against a real Wharf: skopeo with --creds and with a stored login, a
/// pull-only user set up in the portal, an access token that expires, and TLS with a certificate made here. Every
/// test ends by checking that none of the secrets it used appears in Wharf's log (at debug level) or in what the
/// clients printed.
/// </summary>
public sealed class AuthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminPassword = "auth-e2e-admin-password";
    private const string CiPassword = "auth-e2e-ci-password-7";

    private readonly TempDirectory _temp = new("wharf-auth");
    private readonly List<string> _secrets = [AdminPassword, CiPassword];
    private readonly List<string> _clientOutput = [];
    private WharfProcess? _wharf;
    private OciLayout _layout = null!;

    public Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _layout = new OciLayout(_temp.Combine("images"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_wharf is not null) await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    private async Task<WharfProcess> StartAsync(Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["WHARF_ADMIN_PASSWORD"] = AdminPassword,
            ["Logging__LogLevel__Default"] = "Debug",
        };
        foreach (var (k, v) in extra ?? []) environment[k] = v;
        return _wharf = await WharfProcess.StartAsync(_temp.Combine("root"), environment);
    }

    /// <summary>skopeo exactly as given: no stored login is added (see ExternalTool.SkopeoAsync for that).</summary>
    private async Task<ExternalTool.Result> SkopeoAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("skopeo", arguments);
        _clientOutput.Add(result.All);
        output.WriteLine($"skopeo {string.Join(' ', arguments.Select(Mask))} -> {result.ExitCode}\n{result.All}");
        return result;
    }

    private string Mask(string argument) => _secrets.Aggregate(argument, (a, s) => a.Replace(s, "***"));

    private async Task<ExternalTool.Result> SkopeoOkAsync(params string[] arguments)
    {
        var result = await SkopeoAsync(arguments);
        Assert.True(result.ExitCode == 0, $"skopeo failed: {result.All}");
        return result;
    }

    private void AssertNoSecretLeaked()
    {
        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(secret, _wharf!.Log);
            Assert.All(_clientOutput, o => Assert.DoesNotContain(secret, o));
        }
    }

    private string Docker(string reference) => $"docker://{_wharf!.HostPort}/{reference}";
    private string Oci(string tag) => $"oci:{_layout.Directory}:{tag}";

    [Fact]
    public async Task Skopeo_pushes_and_pulls_with_creds_and_with_a_stored_login_and_nothing_without()
    {
        var image = _layout.AddImage("app", [(1, 200_000), (2, 50_000)]);
        await StartAsync();

        var anonymous = await SkopeoAsync("copy", "--dest-tls-verify=false", Oci("app"), Docker("team/app:1.0"));
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("401", anonymous.All);

        await SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"admin:{AdminPassword}", Oci("app"), Docker("team/app:1.0"));
        var wrong = await SkopeoAsync("copy", "--src-tls-verify=false", "--src-creds", "admin:not-the-password", Docker("team/app:1.0"), $"oci:{_temp.Combine("wrong")}:x");
        Assert.NotEqual(0, wrong.ExitCode);

        var authFile = _temp.Combine("auth", "auth.json");
        Directory.CreateDirectory(Path.GetDirectoryName(authFile)!);
        await SkopeoOkAsync("login", "--tls-verify=false", "--authfile", authFile, "-u", "admin", "-p", AdminPassword, _wharf!.HostPort);
        var pulled = _temp.Combine("pulled");
        await SkopeoOkAsync("copy", "--src-tls-verify=false", "--authfile", authFile, Docker("team/app:1.0"), $"oci:{pulled}:x");
        Assert.Contains(image.ManifestDigest, await File.ReadAllTextAsync(Path.Combine(pulled, "index.json")));
        var digest = await SkopeoOkAsync("inspect", "--tls-verify=false", "--authfile", authFile, "--format", "{{.Digest}}", Docker("team/app:1.0"));
        Assert.Equal(image.ManifestDigest, digest.Output.Trim());
        await SkopeoOkAsync("logout", "--authfile", authFile, _wharf.HostPort);
        var loggedOut = await SkopeoAsync("inspect", "--tls-verify=false", "--authfile", authFile, Docker("team/app:1.0"));
        Assert.NotEqual(0, loggedOut.ExitCode);

        AssertNoSecretLeaked();
    }

    [Fact]
    public async Task A_pull_only_user_is_DENIED_on_push_and_an_expired_access_token_is_refused()
    {
        _layout.AddImage("app", [(3, 120_000)]);
        var wharf = await StartAsync();
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", Oci("app"), Docker("team/app:1.0"));

        // The Admin adds user ci and lets it pull under team/; ci makes itself an access token: all in the portal.
        await using var browser = await Browser.LaunchAsync();
        var admin = await SignInAsync(browser, "admin", AdminPassword);
        await admin.GotoAsync("/users");
        await admin.FillAsync("#new-user", "ci");
        await admin.PressAsync("#new-user", "Tab");
        await admin.FillAsync("#new-password", CiPassword);
        await admin.PressAsync("#new-password", "Tab");
        await admin.ClickAsync("#add-user");
        await Assertions.Expect(admin.Locator("#users")).ToContainTextAsync("ci");
        await admin.GotoAsync("/access");
        await admin.FillAsync("#grant-prefix", "team");
        await admin.PressAsync("#grant-prefix", "Tab");
        await admin.FillAsync("#grant-subject", "ci");
        await admin.PressAsync("#grant-subject", "Tab");
        await admin.ClickAsync("#add-grant");
        await Assertions.Expect(admin.Locator("#grants")).ToContainTextAsync("user ci");
        await Browser.ScreenshotAsync(admin, "repository-access");

        var ci = await SignInAsync(browser, "ci", CiPassword);
        await ci.GotoAsync("/account/tokens");
        await ci.FillAsync("#token-name", "deploy");
        await ci.PressAsync("#token-name", "Tab");
        await ci.ClickAsync("#create-token");
        await Assertions.Expect(ci.Locator("#new-token")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^wharf_pat_"));
        var token = await ci.Locator("#new-token").InputValueAsync();
        _secrets.Add(token);
        await Assertions.Expect(ci.Locator("#tokens")).ToContainTextAsync("deploy");
        await Browser.ScreenshotAsync(ci, "access-tokens");
        await admin.GotoAsync("/tokens");
        await Assertions.Expect(admin.Locator("#all-tokens")).ToContainTextAsync("deploy");
        Assert.True(browser.Errors.Count == 0, "browser errors:\n" + string.Join("\n", browser.Errors));

        // ci may pull, with the password or the token, and is DENIED a push.
        await SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", $"ci:{CiPassword}", Docker("team/app:1.0"), $"oci:{_temp.Combine("ci-pull")}:x");
        await SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", $"ci:{token}", Docker("team/app:1.0"), $"oci:{_temp.Combine("ci-token-pull")}:x");
        var push = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"ci:{CiPassword}", Oci("app"), Docker("team/app:ci"));
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("denied", push.All);

        // The token expires (its expiry moved into the past in the database): refused from then on.
        var sql = await ExternalTool.RunAsync("sqlite3", [Path.Combine(wharf.RootDirectory, "wharf", "portal.db"), "UPDATE AccessTokens SET ExpiresAt = '2000-01-01 00:00:00';"]);
        Assert.True(sql.ExitCode == 0, sql.All);
        var expired = await SkopeoAsync("inspect", "--tls-verify=false", "--creds", $"ci:{token}", Docker("team/app:1.0"));
        Assert.NotEqual(0, expired.ExitCode);
        Assert.Contains("unauthorized", expired.All, StringComparison.OrdinalIgnoreCase);

        AssertNoSecretLeaked();
    }

    private Task<IPage> SignInAsync(Browser browser, string user, string password) => browser.SignInAsync(_wharf!.BaseUrl, user, password);

    [Fact]
    public async Task Tls_with_a_self_signed_certificate_made_here_serves_skopeo_and_HTTP_2_on_TLS_1_2_and_up()
    {
        var certificates = _temp.Combine("certs");
        Directory.CreateDirectory(certificates);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=wharf-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(certificates, "domain.crt"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(certificates, "domain.key"), key.ExportPkcs8PrivateKeyPem());
        // skopeo's --cert-dir takes *.crt files as certificate authorities.
        var trust = _temp.Combine("trust");
        Directory.CreateDirectory(trust);
        File.Copy(Path.Combine(certificates, "domain.crt"), Path.Combine(trust, "ca.crt"));

        var image = _layout.AddImage("app", [(4, 150_000)]);
        var wharf = await StartAsync(new()
        {
            ["REGISTRY_HTTP_TLS_CERTIFICATE"] = Path.Combine(certificates, "domain.crt"),
            ["REGISTRY_HTTP_TLS_KEY"] = Path.Combine(certificates, "domain.key"),
        });

        var untrusted = await SkopeoAsync("inspect", "--creds", $"admin:{AdminPassword}", Docker("team/app:1.0"));
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.Contains("certificate", untrusted.All);
        await SkopeoOkAsync("copy", "--dest-cert-dir", trust, "--dest-creds", $"admin:{AdminPassword}", Oci("app"), Docker("team/app:1.0"));
        var pulled = _temp.Combine("pulled");
        await SkopeoOkAsync("copy", "--src-cert-dir", trust, "--src-creds", $"admin:{AdminPassword}", Docker("team/app:1.0"), $"oci:{pulled}:x");
        Assert.Contains(image.ManifestDigest, await File.ReadAllTextAsync(Path.Combine(pulled, "index.json")));

        // HTTP/2 by ALPN, and the token realm is the https URL.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.GetAsync($"{wharf.BaseUrl}/v2/");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // Challenges point under /v2/ by default, so a front that proxies only /v2/ still reaches the token endpoint.
        Assert.Contains($"realm=\"https://{wharf.HostPort}/v2/auth/token\"", response.Headers.WwwAuthenticate.ToString());

        Assert.Equal(SslProtocols.Tls12, await HandshakeAsync(wharf.Port, SslProtocols.Tls12, certificate));
        Assert.Equal(SslProtocols.Tls13, await HandshakeAsync(wharf.Port, SslProtocols.Tls13, certificate));
        // A client that offers only TLS 1.1 (with OpenSSL's security level lowered so that it really offers it) is refused.
        var old = await ExternalTool.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{wharf.Port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], TimeSpan.FromSeconds(30));
        output.WriteLine(old.All);
        Assert.NotEqual(0, old.ExitCode);
        Assert.Contains("alert protocol version", old.All);

        AssertNoSecretLeaked();
    }

    private static async Task<SslProtocols> HandshakeAsync(int port, SslProtocols protocols, X509Certificate2 expected)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, presented, _, _) => presented?.GetCertHashString() == expected.GetCertHashString());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols });
        return ssl.SslProtocol;
    }
}
