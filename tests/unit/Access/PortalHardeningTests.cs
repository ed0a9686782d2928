using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>The portal's own defences, over HTTPS as a real deployment serves it: headers, cookies, anti-forgery, sign-in throttle.</summary>
public sealed class PortalHardeningTests : IAsyncLifetime
{
    private readonly AccessHost _wharf = new();

    public Task InitializeAsync() => _wharf.InitializeAsync();
    public Task DisposeAsync() => _wharf.DisposeAsync();

    private Task<RawResponse> SendAsync(string method, string path, string? cookie = null, Dictionary<string, string>? form = null) =>
        _wharf.Host.SendRawAsync(method, path, c =>
        {
            c.Request.Scheme = "https";
            c.Request.Host = new HostString("registry.example.com");
            if (cookie is not null) c.Request.Headers.Cookie = cookie;
            if (form is null) return;
            var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")));
            c.Request.ContentType = "application/x-www-form-urlencoded";
            c.Request.ContentLength = body.Length;
            c.Request.Body = new MemoryStream(body);
        });

    private async Task<(string Cookie, string Token)> LoginFormAsync()
    {
        var page = await SendAsync("GET", "/account/login");
        Assert.Equal(200, page.Status);
        var setCookie = page.Headers.SetCookie.ToString();
        var cookie = setCookie.Split(';')[0];
        var token = Regex.Match(page.Body, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        return (cookie, token);
    }

    [Fact]
    public async Task Portal_pages_carry_the_security_headers()
    {
        var page = await SendAsync("GET", "/account/login");
        var csp = page.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", page.Headers.XContentTypeOptions.ToString());
        Assert.Equal("DENY", page.Headers.XFrameOptions.ToString());
        Assert.StartsWith("max-age=", page.Headers.StrictTransportSecurity.ToString());

        var api = await SendAsync("GET", "/v2/");
        Assert.Equal("nosniff", api.Headers.XContentTypeOptions.ToString());
    }

    [Fact]
    public async Task Cookies_are_secure_http_only_and_strict_and_sign_in_needs_the_anti_forgery_token()
    {
        var (cookie, token) = await LoginFormAsync();
        var page = await SendAsync("GET", "/account/login");
        var antiforgery = page.Headers.SetCookie.ToString().ToLowerInvariant();
        Assert.Contains("secure", antiforgery);
        Assert.Contains("httponly", antiforgery);
        Assert.Contains("samesite=strict", antiforgery);

        var form = new Dictionary<string, string> { ["_handler"] = "login", ["Input.UserName"] = AccessHost.AdminUser, ["Input.Password"] = AccessHost.AdminPassword };
        var forged = await SendAsync("POST", "/account/login", cookie, form);
        Assert.Equal(400, forged.Status);
        Assert.DoesNotContain("wharf.session", forged.Headers.SetCookie.ToString());

        var signedIn = await SendAsync("POST", "/account/login", cookie, new(form) { ["__RequestVerificationToken"] = token });
        var session = string.Join('\n', signedIn.Headers.SetCookie.ToArray()).ToLowerInvariant();
        Assert.Contains("wharf.session=", session);
        var sessionCookie = session.Split('\n').Single(c => c.StartsWith("wharf.session="));
        Assert.Contains("secure", sessionCookie);
        Assert.Contains("httponly", sessionCookie);
        Assert.Contains("samesite=strict", sessionCookie);
    }

    [Fact]
    public async Task Failed_sign_ins_are_audited_and_throttled()
    {
        await _wharf.CreateUserAsync("person", "person-password-123");
        for (var i = 0; i < 6; i++)
        {
            var (cookie, token) = await LoginFormAsync();
            var response = await SendAsync("POST", "/account/login", cookie, new()
            {
                ["_handler"] = "login", ["Input.UserName"] = "person", ["Input.Password"] = "wrong-" + i, ["__RequestVerificationToken"] = token,
            });
            Assert.Equal(200, response.Status);
            Assert.DoesNotContain("wrong-" + i, response.Body);
        }
        var audit = await _wharf.AuditAsync();
        Assert.Equal(5, audit.Count(e => e.Action == "sign-in" && e.Actor == "person" && e.Outcome == "failure"));
        // The sixth is refused unchecked by the throttle, which audits refusals in aggregate.
        Assert.Contains(audit, e => e.Action == "auth.throttled" && e.Actor == "PERSON");
    }
}
