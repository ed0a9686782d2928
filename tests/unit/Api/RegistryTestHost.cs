using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Wharf.Portal.Hosting;
using Xunit;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// A whole Wharf process in memory: the real host built by <see cref="WharfHost.Build"/> over a fresh temporary
/// root directory, served through the ASP.NET Core TestServer. Settings go in as command-line arguments, the same
/// way an operator would pass them.
/// </summary>
public sealed class RegistryTestHost : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>storage.delete.enabled; set before <see cref="InitializeAsync"/>.</summary>
    public bool DeleteEnabled { get; init; } = true;

    public string RootDirectory { get; } = Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N"));

    public WebApplication App => _app ?? throw new InvalidOperationException("the host is not started");

    public IServiceProvider Services => App.Services;

    /// <summary>A client for the in-memory server; its base address is <c>http://localhost/</c>.</summary>
    public HttpClient CreateClient() => App.GetTestServer().CreateClient();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(RootDirectory);
        string[] args =
        [
            "--registry:storage:filesystem:rootdirectory=" + RootDirectory,
            "--registry:storage:delete:enabled=" + (DeleteEnabled ? "true" : "false"),
        ];
        _app = WharfHost.Build(args, null, b => b.WebHost.UseTestServer());
        await WharfHost.InitializeAsync(_app, true);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(RootDirectory)) Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing request; the temp directory is cleaned by the OS eventually.
        }
    }

    /// <summary>Starts a host with the given settings (for tests that need a second, differently configured one).</summary>
    public static async Task<RegistryTestHost> StartAsync(bool deleteEnabled = true)
    {
        var host = new RegistryTestHost { DeleteEnabled = deleteEnabled };
        await host.InitializeAsync();
        return host;
    }
}

/// <summary>Base for API tests: every test gets its own registry (own directory, own database) and a client.</summary>
public abstract class RegistryApiTest : IAsyncLifetime
{
    protected RegistryTestHost Host { get; }
    protected HttpClient Client { get; private set; } = null!;

    protected RegistryApiTest(bool deleteEnabled = true)
    {
        Host = new RegistryTestHost { DeleteEnabled = deleteEnabled };
    }

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        Client = Host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
