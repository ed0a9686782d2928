using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wharf.Portal.Access;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Portal.Hosting;
using Wharf.Registry.Configuration;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Access;

/// <summary>Basic mode, mode none, and the configuration around access: htpasswd, trusted proxies, rate limits, Kestrel limits.</summary>
public sealed class AccessModeTests
{
    private const string Password = "reader-password-12345";

    [Fact]
    public async Task Basic_mode_checks_credentials_on_every_request()
    {
        await using var wharf = await StartAsync(new AccessHost("basic"));
        using (var anonymous = await wharf.Host.Client.GetAsync("/v2/"))
        {
            await AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.Equal("Basic realm=\"Wharf\", charset=\"UTF-8\"", Header(anonymous, "WWW-Authenticate"));
        }
        using var admin = wharf.Host.ClientWith(AccessHost.Basic(AccessHost.AdminUser, AccessHost.AdminPassword));
        using (var ok = await admin.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var digest = await admin.PushImageAsync("team/app", "1", TestContent.Image("basic"));

        await wharf.Host.CreateUserAsync("reader", Password);
        await wharf.Host.GrantAsync("team", GrantSubjectKind.User, "reader", RepositoryActions.Pull);
        using var reader = wharf.Host.ClientWith(AccessHost.Basic("reader", Password));
        using (var pull = await reader.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using (var push = await reader.PostAsync("/v2/team/app/blobs/uploads/", null)) await AssertErrorAsync(push, HttpStatusCode.Forbidden, "DENIED");
        using (var wrong = wharf.Host.ClientWith(AccessHost.Basic("reader", "wrong-password")))
        using (var refused = await wrong.GetAsync("/v2/")) await AssertErrorAsync(refused, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var pat = await wharf.Host.CreateAccessTokenAsync("reader", RepositoryActions.Pull);
        using (var ci = wharf.Host.ClientWith(AccessHost.Basic("reader", pat.Secret)))
        using (var pull = await ci.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);

        // No token endpoint in basic mode.
        using (var token = await wharf.Host.Client.GetAsync("/auth/token")) Assert.NotEqual(HttpStatusCode.OK, token.StatusCode);
        Assert.Contains((await wharf.Host.AuditAsync()), e => e.Action == "registry.basic-refused" && e.Actor == "reader");
    }

    [Fact]
    public async Task Mode_none_opens_the_registry_and_the_portal_says_so()
    {
        await using var wharf = await StartAsync(new AccessHost("none"));
        using (var ok = await wharf.Host.Client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await wharf.Host.Client.PushImageAsync("team/app", "1", TestContent.Image("open"));
        var login = await wharf.Host.Client.GetStringAsync("/account/login");
        Assert.Contains("id=\"auth-off-banner\"", login);
        Assert.Contains("Registry authentication is off", login);
        Assert.Contains("Registry authentication is OFF", wharf.Host.Log);

        await using var secured = await StartAsync(new AccessHost());
        Assert.DoesNotContain("auth-off-banner", await secured.Host.Client.GetStringAsync("/account/login"));
    }

    [Theory]
    [InlineData("Wharf:Auth:Mode", "none", RegistryAuthMode.None)]
    [InlineData("Wharf:Auth:Mode", "Basic", RegistryAuthMode.Basic)]
    [InlineData("Wharf:Auth:Mode", "token", RegistryAuthMode.Token)]
    [InlineData("registry:auth", "none", RegistryAuthMode.None)]
    [InlineData("unrelated", "x", RegistryAuthMode.Token)]
    public void The_mode_comes_from_Wharf_Auth_Mode_or_auth_none(string key, string value, RegistryAuthMode mode)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        Assert.Equal(mode, AccessSettings.Bind(configuration).Mode);
    }

    [Theory]
    [InlineData("Wharf:Auth:Mode", "sometimes")]
    [InlineData("Wharf:Auth:TokenLifetime", "forever")]
    [InlineData("Wharf:Auth:Realm", "/relative")]
    [InlineData("Wharf:ForwardedHeaders:KnownProxies", "proxy.example.com")]
    [InlineData("Wharf:ForwardedHeaders:KnownNetworks", "10.0.0.0/99")]
    [InlineData("Wharf:RateLimits:FailuresBeforeBackoff", "-1")]
    public void Bad_access_settings_fail_the_start(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        Assert.Throws<InvalidDataException>(() => AccessSettings.Bind(configuration));
    }

    [Fact]
    public async Task Forwarded_headers_count_only_from_configured_proxies()
    {
        await using var wharf = await StartAsync(new AccessHost("token", "--Wharf:ForwardedHeaders:KnownProxies=10.1.2.3", "--Wharf:ForwardedHeaders:KnownNetworks=192.168.50.0/24"));
        async Task<string?> ChallengeFrom(string address)
        {
            var response = await wharf.Host.Host.SendRawAsync("GET", "/v2/", c =>
            {
                c.Connection.RemoteIpAddress = IPAddress.Parse(address);
                c.Request.Headers["X-Forwarded-Proto"] = "https";
                c.Request.Headers["X-Forwarded-Host"] = "registry.example.com";
                c.Request.Headers["X-Forwarded-For"] = "203.0.113.9";
            });
            return response.Headers.WWWAuthenticate.ToString();
        }
        Assert.Equal("Bearer realm=\"https://registry.example.com/v2/auth/token\",service=\"wharf\"", await ChallengeFrom("10.1.2.3"));
        Assert.Equal("Bearer realm=\"https://registry.example.com/v2/auth/token\",service=\"wharf\"", await ChallengeFrom("192.168.50.7"));
        Assert.Equal("Bearer realm=\"http://localhost/v2/auth/token\",service=\"wharf\"", await ChallengeFrom("10.1.2.4"));
        Assert.Equal("Bearer realm=\"http://localhost/v2/auth/token\",service=\"wharf\"", await ChallengeFrom("127.0.0.1"));

        // Through the trusted proxy, the audit trail records the client's address.
        await wharf.Host.Host.SendRawAsync("GET", "/auth/token", c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
            c.Request.Headers["X-Forwarded-For"] = "203.0.113.9";
            c.Request.Headers.Authorization = AccessHost.Basic("nobody", "x").ToString();
        });
        Assert.Contains(await wharf.Host.AuditAsync(), e => e.Action == "token.refused" && e.ClientAddress == "203.0.113.9");
    }

    [Fact]
    public async Task Without_trusted_proxies_forwarded_headers_are_ignored_and_a_realm_can_be_configured()
    {
        await using var wharf = await StartAsync(new AccessHost("token", "--Wharf:Auth:Realm=https://registry.example.com/auth/token", "--Wharf:Auth:Service=registry.example.com"));
        var response = await wharf.Host.Host.SendRawAsync("GET", "/v2/", c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Loopback;
            c.Request.Headers["X-Forwarded-Host"] = "evil.example";
        });
        Assert.Equal("Bearer realm=\"https://registry.example.com/auth/token\",service=\"registry.example.com\"", response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task Sign_in_posts_are_rate_limited_with_429_and_Retry_After_and_token_requests_are_not()
    {
        await using var wharf = await StartAsync(new AccessHost("token", "--Wharf:RateLimits:SignInsPerMinute=2"));
        // Successful token requests are never limited (failed ones are throttled: SignInThrottleTests).
        for (var i = 0; i < 200; i++)
        {
            using var ok = await wharf.Host.RequestTokenAsync(null, null);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var api = await wharf.Host.Client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);

        for (var i = 0; i < 2; i++)
        {
            using var attempt = await wharf.Host.Client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "y" }));
            Assert.NotEqual(HttpStatusCode.TooManyRequests, attempt.StatusCode);
        }
        using var signIn = await wharf.Host.Client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "y" }));
        Assert.Equal(HttpStatusCode.TooManyRequests, signIn.StatusCode);
        Assert.NotNull(Header(signIn, "Retry-After"));
    }

    [Fact]
    public async Task Sign_in_posts_refused_by_the_rate_limit_are_audited_in_aggregate_without_the_password()
    {
        await using var wharf = await StartAsync(new AccessHost("token", "--Wharf:RateLimits:SignInsPerMinute=2"));
        const string password = "typed-password-never-audited";
        var form = new Dictionary<string, string> { ["Input.UserName"] = "someone", ["Input.Password"] = password };
        var refused = 0;
        for (var i = 0; i < 7; i++)
        {
            using var attempt = await wharf.Host.Client.PostAsync("/account/login", new FormUrlEncodedContent(form));
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests) refused++;
        }
        Assert.Equal(5, refused);

        // The first refusal is written at once; the rest of the minute's are counted, not written one by one (the
        // hourly sweep, which also runs at start, may have written some of them already).
        var first = (await wharf.Host.AuditAsync()).Where(e => e.Action == SignInRateLimitAudit.AuditAction).ToList();
        Assert.InRange(first.Count, 1, 2);
        Assert.Equal("anonymous", first[0].Actor);
        Assert.Equal("failure", first[0].Outcome);
        Assert.StartsWith("1 sign-in attempt(s) refused by the rate limit", first[0].Detail);

        // The sweep writes what is left, with its count: every refusal is in the trail once.
        await wharf.Host.Services.GetRequiredService<AuditRetention>().RunOnceAsync(default);
        var all = (await wharf.Host.AuditAsync()).Where(e => e.Action == SignInRateLimitAudit.AuditAction).ToList();
        Assert.InRange(all.Count, 2, 3);
        Assert.Equal(5, all.Sum(e => int.Parse(e.Detail!.Split(' ')[0])));
        Assert.All(await wharf.Host.AuditAsync(), e => Assert.DoesNotContain(password, $"{e.Actor} {e.Target} {e.Detail}"));
    }

    [Fact]
    public void The_old_limit_on_all_token_requests_is_refused_at_start_with_what_to_do()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Wharf:RateLimits:TokenRequestsPerMinute"] = "120" }).Build();
        var refusal = Assert.Throws<InvalidDataException>(() => AccessSettings.Bind(configuration));
        Assert.Contains("failed authentications", refusal.Message);
    }

    [Fact]
    public async Task Kestrel_limits_guard_against_slow_and_large_requests()
    {
        await using var wharf = await StartAsync(new AccessHost());
        var limits = wharf.Host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(TimeSpan.FromSeconds(30), limits.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), limits.KeepAliveTimeout);
        Assert.Equal(64 * 1024, limits.MaxRequestBodySize);
        Assert.NotNull(limits.MinRequestBodyDataRate);
        Assert.True(limits.MinRequestBodyDataRate!.BytesPerSecond >= 240);
        Assert.True(limits.MaxRequestHeadersTotalSize <= 64 * 1024);
    }

    private static async Task<Started> StartAsync(AccessHost host)
    {
        await host.InitializeAsync();
        return new Started(host);
    }

    /// <summary>A started host, disposed with the test.</summary>
    private sealed class Started(AccessHost host) : IAsyncDisposable
    {
        public AccessHost Host => host;
        public ValueTask DisposeAsync() => new(host.DisposeAsync());
    }
}
