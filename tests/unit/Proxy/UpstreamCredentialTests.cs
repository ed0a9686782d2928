using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Data;
using Wharf.Portal.Upstreams;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>An upstream's credentials go to its own origin, or to a token realm over HTTPS, and nowhere else.</summary>
public sealed class UpstreamCredentialTests
{
    [Fact]
    public async Task A_plain_http_realm_on_another_port_never_receives_the_credentials()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var elsewhere = await FakeUpstream.StartAsync();
        upstream.Bearer = ("robot", "robot-pw");
        elsewhere.Bearer = ("robot", "robot-pw");
        upstream.Realm = elsewhere.Url + "/token";
        upstream.AddImage("team/app", "1", [1, 2, 3]);
        var host = new RegistryTestHost
        {
            Settings =
            [
                "--Wharf:Upstreams:0:Name=up", "--Wharf:Upstreams:0:Prefix=up", "--Wharf:Upstreams:0:Url=" + upstream.Url,
                "--Wharf:Upstreams:0:Username=robot", "--Wharf:Upstreams:0:Password=robot-pw", "--Wharf:Upstreams:0:AllowAnonymous=true",
            ],
        };
        await host.InitializeAsync();
        try
        {
            using var client = host.CreateClient();
            using var response = await client.GetAsync("/v2/up/team/app/manifests/1");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(elsewhere.Requests, r => r.Path == "/token");
            Assert.All(elsewhere.Requests, r => Assert.Null(r.Authorization));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Moving_an_upstream_to_another_host_does_not_take_the_stored_password_along()
    {
        var access = new AccessHost();
        await access.InitializeAsync();
        try
        {
        var input = new UpstreamInput { Name = "hub", Prefix = "hub", Url = "https://registry.example.com", Username = "robot", Password = "robot-pw" };
        Assert.Null(await SaveAsync(access, input));
        var id = (await RecordAsync(access)).Id;

        // An edit that keeps the origin keeps the password.
        Assert.Null(await SaveAsync(access, new UpstreamInput { Id = id, Name = "hub", Prefix = "hub", Url = "https://REGISTRY.example.com:443/", Username = "robot", TtlHours = 2 }));
        var kept = await RecordAsync(access);
        Assert.NotNull(kept.ProtectedPassword);

        // Another host, another port, or plain HTTP without the password typed again: refused, nothing changes.
        foreach (var url in new[] { "https://attacker.example.net", "https://registry.example.com:8443", "http://registry.example.com" })
        {
            var refused = await SaveAsync(access, new UpstreamInput { Id = id, Name = "hub", Prefix = "hub", Url = url, Username = "robot" });
            Assert.Contains("enter the password again", refused);
            var unchanged = await RecordAsync(access);
            Assert.Equal("https://registry.example.com/", unchanged.Url);
                Assert.NotNull(unchanged.ProtectedPassword);
        }

        // Without the user name the move is saved, and no password is stored at all.
        Assert.Null(await SaveAsync(access, new UpstreamInput { Id = id, Name = "hub", Prefix = "hub", Url = "https://attacker.example.net" }));
        var moved = await RecordAsync(access);
        Assert.Equal("https://attacker.example.net/", moved.Url);
        Assert.Null(moved.ProtectedPassword);

        // With the password entered again the move is saved too.
        Assert.Null(await SaveAsync(access, new UpstreamInput { Id = id, Name = "hub", Prefix = "hub", Url = "https://other.example.org", Username = "robot", Password = "new-pw" }));
        Assert.NotNull((await RecordAsync(access)).ProtectedPassword);
        }
        finally
        {
            await access.DisposeAsync();
        }
    }

    private static Task<string?> SaveAsync(AccessHost access, UpstreamInput input) =>
        access.AsUserAsync(AccessHost.AdminUser, (sp, admin) => sp.GetRequiredService<UpstreamAdministration>().SaveAsync(admin, input, default));

    private static async Task<UpstreamRecord> RecordAsync(AccessHost access)
    {
        await using var scope = access.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Upstreams.AsNoTracking().SingleAsync();
    }
}
