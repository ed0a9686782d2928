using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Data;
using Wharf.Portal.Upstreams;
using Wharf.Registry.Proxy;
using Wharf.Tests.Unit.Access;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>
/// An upstream created, edited or deleted in the portal of one instance takes effect on another instance sharing the
/// portal database (SQLite: one data directory; PostgreSQL: one database, in the suite's PostgreSQL run) at its next
/// check, without a restart.
/// </summary>
public sealed class PortalUpstreamChangeTests
{
    [Fact]
    public async Task Upstream_edits_on_one_instance_reach_the_other_at_its_next_check()
    {
        await using var first = new AccessHost("token");
        await first.InitializeAsync();
        await using var second = new AccessHost("token", ["--Wharf:DataDirectory=" + Path.Combine(first.Host.RootDirectory, "wharf"), .. first.Host.Database.HostSettings]);
        await second.InitializeAsync();
        var poller = second.Services.GetRequiredService<UpstreamChangePoller>();
        UpstreamInfo? Seen(string name) => second.Services.GetRequiredService<UpstreamCatalog>().Describe().SingleOrDefault(u => u.Name == name);

        Assert.False(await poller.CheckAsync(default));
        var input = new UpstreamInput { Name = "mirror", Prefix = "mirror", Url = "https://one.example", Username = "robot", Password = "pw-1" };
        Assert.Null(await first.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<UpstreamAdministration>().SaveAsync(p, input, default)));
        Assert.Null(Seen("mirror"));
        Assert.True(await poller.CheckAsync(default));
        Assert.Equal("https://one.example/", Seen("mirror")!.Url);
        Assert.False(await poller.CheckAsync(default)); // nothing changed since

        long id;
        await using (var scope = first.Services.CreateAsyncScope())
            id = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Upstreams.Where(u => u.Name == "mirror").Select(u => u.Id).SingleAsync();
        input.Id = id;
        input.Url = "https://one.example:8443";
        input.Password = "pw-2";
        Assert.Null(await first.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<UpstreamAdministration>().SaveAsync(p, input, default)));
        Assert.True(await poller.CheckAsync(default));
        Assert.Equal("https://one.example:8443/", Seen("mirror")!.Url);
        Assert.Equal("pw-2", second.Services.GetRequiredService<PortalUpstreamSource>().GetUpstreams().Single(u => u.Name == "mirror").Password);

        Assert.Null(await first.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<UpstreamAdministration>().DeleteAsync(p, id, default)));
        Assert.True(await poller.CheckAsync(default));
        Assert.Null(Seen("mirror"));
    }
}
