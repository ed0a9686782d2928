using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>
/// An in-process Wharf with registry authentication on (token mode unless told otherwise) and an Admin, plus the
/// steps the access tests repeat: users, grants, access tokens, bearer tokens. Every log line is captured, so tests
/// can check that no secret was ever logged.
/// </summary>
public sealed class AccessHost : IAsyncLifetime, IAsyncDisposable
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "admin-password-for-tests-1";

    private readonly ConcurrentQueue<string> _log = new();

    public AccessHost(string mode = "token", params string[] settings)
        : this(null, mode, settings)
    {
    }

    /// <param name="configure">More changes to the host before it is built (a clock, a counting password hasher).</param>
    public AccessHost(Action<WebApplicationBuilder>? configure, string mode = "token", params string[] settings)
    {
        Host = new RegistryTestHost
        {
            AuthMode = mode,
            Settings = ["--WHARF_ADMIN_USER=" + AdminUser, "--WHARF_ADMIN_PASSWORD=" + AdminPassword, "--Logging:LogLevel:Default=Debug", .. settings],
            Configure = b =>
            {
                b.Logging.AddProvider(new CapturingLoggerProvider(_log));
                configure?.Invoke(b);
            },
        };
    }

    public RegistryTestHost Host { get; }
    public HttpClient Client { get; private set; } = null!;
    public IServiceProvider Services => Host.Services;
    public string Log => string.Join('\n', _log);

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

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public static AuthenticationHeaderValue Basic(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    /// <summary>Runs a call with a principal of this user, as the portal's pages do.</summary>
    public async Task<T> AsUserAsync<T>(string userName, Func<IServiceProvider, ClaimsPrincipal, Task<T>> call)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByNameAsync(userName) ?? throw new InvalidOperationException($"no user {userName}");
        var principal = await scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>().CreateUserPrincipalAsync(user);
        return await call(scope.ServiceProvider, principal);
    }

    public async Task CreateUserAsync(string userName, string password, string role = Roles.Viewer)
    {
        var result = await AsUserAsync(AdminUser, (sp, admin) => sp.GetRequiredService<UserAdministration>().CreateAsync(admin, userName, password, role));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
    }

    public async Task GrantAsync(string prefix, string kind, string? subject, RepositoryActions actions)
    {
        var result = await AsUserAsync(AdminUser, (sp, admin) => sp.GetRequiredService<RepositoryGrants>().CreateAsync(admin, prefix, kind, subject, actions, default));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
    }

    public async Task<CreatedAccessToken> CreateAccessTokenAsync(string userName, RepositoryActions actions, string prefix = "", TimeSpan? lifetime = null)
    {
        var (result, created) = await AsUserAsync(userName, (sp, principal) => sp.GetRequiredService<AccessTokens>()
            .CreateAsync(principal, "ci", actions, prefix, DateTime.UtcNow + (lifetime ?? TimeSpan.FromDays(30)), default));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        return created!;
    }

    /// <summary>Changes an access token's expiry directly in the database (to make one that has expired).</summary>
    public async Task SetAccessTokenExpiryAsync(long id, DateTime expiresAt)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var token = await db.AccessTokens.SingleAsync(t => t.Id == id);
        token.ExpiresAt = expiresAt;
        await db.SaveChangesAsync();
    }

    /// <summary><c>GET /auth/token</c> with the given credentials (none for anonymous); returns the whole response.</summary>
    public async Task<HttpResponseMessage> RequestTokenAsync(string? user, string? secret, params string[] scopes)
    {
        var query = string.Join('&', scopes.Select(s => "scope=" + Uri.EscapeDataString(s)).Prepend("service=wharf"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?" + query);
        if (user is not null) request.Headers.Authorization = Basic(user, secret!);
        return await Client.SendAsync(request);
    }

    /// <summary>A bearer token for these scopes, expecting the token endpoint to answer 200.</summary>
    public async Task<string> TokenAsync(string? user, string? secret, params string[] scopes)
    {
        using var response = await RequestTokenAsync(user, secret, scopes);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token request: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A client that sends this Authorization header on every request.</summary>
    public HttpClient ClientWith(AuthenticationHeaderValue? authorization)
    {
        var client = Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    public async Task<List<AuditEntry>> AuditAsync()
    {
        await Services.GetRequiredService<AuditLog>().FlushAsync(default);
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().AuditEntries.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}

/// <summary>Keeps every formatted log line (with exception text) of a host.</summary>
public sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
