using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Portal.Accounts;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>
/// The first start fails closed: admin variables that are set but refused stop Wharf with the reason, and without
/// them the /setup page creates the first Admin only with the one-time code Wharf printed to its log.
/// </summary>
public sealed class FirstStartTests
{
    [Fact]
    public async Task A_refused_admin_password_stops_the_start_with_the_reason()
    {
        var host = new RegistryTestHost { Settings = ["--WHARF_ADMIN_USER=admin", "--WHARF_ADMIN_PASSWORD=short"] };
        var refused = await Assert.ThrowsAsync<InvalidDataException>(host.InitializeAsync);
        Assert.Contains("WHARF_ADMIN_PASSWORD", refused.Message);
        Assert.Contains("at least 12 characters", refused.Message);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Setup_creates_the_first_admin_only_with_the_code_from_the_log()
    {
        var log = new ConcurrentQueue<string>();
        var host = new RegistryTestHost { AuthMode = "token", Configure = b => b.Logging.AddProvider(new CapturingLoggerProvider(log)) };
        await host.InitializeAsync();
        try
        {
            var line = Assert.Single(log, l => l.Contains("one-time setup code"));
            var code = Regex.Match(line, "[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}").Value;
            Assert.NotEmpty(code);

            Assert.Contains("Wrong", await PostSetupAsync(host, "AAAAA-BBBBB-CCCCC-DDDDD"), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("required", await PostSetupAsync(host, ""), StringComparison.OrdinalIgnoreCase);
            await using (var scope = host.Services.CreateAsyncScope())
                Assert.True(await scope.ServiceProvider.GetRequiredService<FirstAdminSetup>().IsOpenAsync());

            await PostSetupAsync(host, code.ToLowerInvariant());
            await using (var scope = host.Services.CreateAsyncScope())
            {
                Assert.False(await scope.ServiceProvider.GetRequiredService<FirstAdminSetup>().IsOpenAsync());
                var again = await scope.ServiceProvider.GetRequiredService<FirstAdminSetup>().CreateAsync(code, "second", "second-password-1", "127.0.0.1", default);
                Assert.False(again.Succeeded);
            }
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>Fills in the setup form as a browser would; returns the page that came back.</summary>
    private static async Task<string> PostSetupAsync(RegistryTestHost host, string code)
    {
        void Https(HttpContext c)
        {
            c.Request.Scheme = "https";
            c.Request.Host = new HostString("registry.example.com");
        }
        var page = await host.SendRawAsync("GET", "/setup", Https);
        var cookie = page.Headers.SetCookie.ToString().Split(';')[0];
        var token = Regex.Match(page.Body, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var form = new Dictionary<string, string>
        {
            ["_handler"] = "setup", ["__RequestVerificationToken"] = token, ["Input.Code"] = code,
            ["Input.UserName"] = "first", ["Input.Password"] = "first-admin-password", ["Input.Repeat"] = "first-admin-password",
        };
        var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")));
        var response = await host.SendRawAsync("POST", "/setup", c =>
        {
            Https(c);
            c.Request.Headers.Cookie = cookie;
            c.Request.ContentType = "application/x-www-form-urlencoded";
            c.Request.ContentLength = body.Length;
            c.Request.Body = new MemoryStream(body);
        });
        return response.Body;
    }
}
