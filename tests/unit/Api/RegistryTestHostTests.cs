using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wharf.Registry.Configuration;
using Xunit;

namespace Wharf.Tests.Unit.Api;

/// <summary>The test host really runs on the settings it passes, so the other API tests test what they claim to.</summary>
public sealed class RegistryTestHostTests
{
    [Fact]
    public async Task CommandLineSettingsReachTheRegistryOptions()
    {
        await using var scope = new HostScope(await RegistryTestHost.StartAsync());
        var options = scope.Host.Services.GetRequiredService<IOptions<RegistryOptions>>().Value;
        Assert.Equal(scope.Host.RootDirectory, options.RootDirectory);
        Assert.True(options.DeleteEnabled);
        Assert.Equal(scope.Host.Database.IsPostgreSql, options.Database.IsPostgreSql);
        // On SQLite the metadata is a file in the data directory; on PostgreSQL no such file is made.
        Assert.Equal(!scope.Host.Database.IsPostgreSql, File.Exists(Path.Combine(scope.Host.RootDirectory, "wharf", "registry.db")));

        using var client = scope.Host.CreateClient();
        var digest = await client.PushBlobAsync("smoke/test", TestContent.Layer("smoke"));
        var blobFile = Path.Combine(scope.Host.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", digest[7..9], digest[7..], "data");
        Assert.True(File.Exists(blobFile), $"blob not stored under the configured root: {blobFile}");
    }

    [Fact]
    public async Task DeleteCanBeDisabled()
    {
        await using var scope = new HostScope(await RegistryTestHost.StartAsync(deleteEnabled: false));
        var options = scope.Host.Services.GetRequiredService<IOptions<RegistryOptions>>().Value;
        Assert.False(options.DeleteEnabled);
        using var client = scope.Host.CreateClient();
        using var response = await client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task DisposalRemovesTheRootDirectory()
    {
        var host = await RegistryTestHost.StartAsync();
        using (var client = host.CreateClient()) await client.PushBlobAsync("smoke/dispose", TestContent.Layer("dispose"));
        await host.DisposeAsync();
        Assert.False(Directory.Exists(host.RootDirectory));
    }

    private sealed class HostScope(RegistryTestHost host) : IAsyncDisposable
    {
        public RegistryTestHost Host { get; } = host;
        public ValueTask DisposeAsync() => new(Host.DisposeAsync());
    }
}
