using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Access;
using Xunit;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// A failure the engine does not expect (here: the metadata database lost its tags table) answers the spec's error
/// body with a request id, never an empty 500, and the same id is in the log with the exception.
/// </summary>
public sealed class UnexpectedErrorTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly RegistryTestHost _host;

    public UnexpectedErrorTests() => _host = new RegistryTestHost { Configure = b => b.Logging.AddProvider(new CapturingLoggerProvider(_log)) };

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task An_unexpected_exception_answers_a_spec_error_with_a_request_id_that_is_in_the_log()
    {
        using var client = _host.CreateClient();
        await client.PushBlobAsync("team/app", [1, 2, 3]);
        await using (var scope = _host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().Database.ExecuteSqlRawAsync("DROP TABLE \"Tags\"");

        using var response = await client.GetAsync("/v2/team/app/tags/list");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        var error = json.RootElement.GetProperty("errors")[0];
        Assert.Equal("UNKNOWN", error.GetProperty("code").GetString());
        var id = error.GetProperty("detail").GetProperty("requestId").GetString();
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Contains(id, error.GetProperty("message").GetString());
        Assert.DoesNotContain("Tags", body);
        var providerError = _host.Database.IsPostgreSql ? "PostgresException" : "SqliteException";
        Assert.Contains(_log, line => line.Contains(id!) && line.Contains(providerError));
    }
}
