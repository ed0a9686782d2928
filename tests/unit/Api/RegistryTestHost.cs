using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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
public sealed class RegistryTestHost : IAsyncLifetime, IAsyncDisposable
{
    private WebApplication? _app;
    private TestDatabase? _database;

    /// <summary>storage.delete.enabled; set before <see cref="InitializeAsync"/>.</summary>
    public bool DeleteEnabled { get; init; } = true;

    /// <summary>
    /// Wharf:Auth:Mode. The API, storage and GC tests test the protocol, not access control, so they run with
    /// authentication off ("none"); the access tests (tests/unit/Access) and the hostile corpus set "token" or "basic";
    /// "" leaves it unset (for auth sections of config.yml, such as auth.htpasswd).
    /// </summary>
    public string AuthMode { get; init; } = "none";

    /// <summary>SQLite whatever this run of the suite uses (for tests of moving from SQLite).</summary>
    public bool ForceSqlite { get; init; }

    /// <summary>More settings, as <c>--key=value</c> arguments (e.g. <c>--Wharf:GarbageCollection:GracePeriod=00:00:02</c>).</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>More changes to the host before it is built (e.g. a log provider that captures every line).</summary>
    public Action<WebApplicationBuilder>? Configure { get; init; }

    public string RootDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N"));

    /// <summary>The database this host runs on (SQLite, or its own PostgreSQL database in the PostgreSQL run).</summary>
    public TestDatabase Database => _database ?? throw new InvalidOperationException("the host is not started");

    /// <summary>Leave the root directory in place at dispose (a test that restarts Wharf on the same state).</summary>
    public bool KeepDirectory { get; init; }

    /// <summary>
    /// The storage back end as <c>--registry:storage:...</c> arguments (S3, Azure); null for the filesystem under
    /// <see cref="RootDirectory"/>. The metadata database stays under <see cref="RootDirectory"/> either way.
    /// </summary>
    public IReadOnlyList<string>? StorageSettings { get; init; }

    public WebApplication App => _app ?? throw new InvalidOperationException("the host is not started");

    public IServiceProvider Services => App.Services;

    /// <summary>A client for the in-memory server; its base address is <c>http://localhost/</c>.</summary>
    public HttpClient CreateClient() => App.GetTestServer().CreateClient();

    /// <summary>
    /// Sends a request with exactly this path, as the server would see it after its own decoding: no client
    /// canonicalizes it first (HttpClient would remove dot segments before the request ever left).
    /// </summary>
    public async Task<RawResponse> SendRawAsync(string method, string pathAndQuery, Action<HttpContext>? configure = null)
    {
        var context = await App.GetTestServer().SendAsync(c =>
        {
            c.Request.Method = method;
            var query = pathAndQuery.IndexOf('?');
            c.Request.Path = new PathString(query < 0 ? pathAndQuery : pathAndQuery[..query]);
            if (query >= 0) c.Request.QueryString = new QueryString(pathAndQuery[query..]);
            configure?.Invoke(c);
        });
        using var reader = new StreamReader(context.Response.Body);
        return new RawResponse(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, await reader.ReadToEndAsync());
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(RootDirectory);
        _database = ForceSqlite ? TestDatabase.Sqlite : await TestDatabase.ForThisRunAsync(KeepDirectory ? RootDirectory : null);
        string[] args =
        [
            .. _database.HostSettings,
            .. StorageSettings ?? ["--registry:storage:filesystem:rootdirectory=" + RootDirectory],
            .. (StorageSettings is null ? [] : new[] { "--Wharf:DataDirectory=" + Path.Combine(RootDirectory, "wharf") }),
            "--registry:storage:delete:enabled=" + (DeleteEnabled ? "true" : "false"),
            .. (AuthMode.Length > 0 ? ["--Wharf:Auth:Mode=" + AuthMode] : Array.Empty<string>()),
            .. Settings,
        ];
        _app = WharfHost.Build(args, null, b =>
        {
            b.WebHost.UseTestServer();
            // Under the test runner the entry assembly is testhost; the real process is the Portal's (static assets
            // and anything else keyed by the application name are found under that name).
            b.Environment.ApplicationName = typeof(WharfHost).Assembly.GetName().Name!;
            Configure?.Invoke(b);
        });
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
        // A kept directory keeps its database too (a test that restarts Wharf on the same state).
        if (_database is not null && !KeepDirectory) await _database.DisposeAsync();
        if (KeepDirectory) return;
        try
        {
            if (Directory.Exists(RootDirectory)) Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing request; the temp directory is cleaned by the OS eventually.
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

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

/// <summary>What <see cref="RegistryTestHost.SendRawAsync"/> got back.</summary>
public sealed record RawResponse(int Status, string? ContentType, IHeaderDictionary Headers, string Body);
