using System.Net;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>
/// /metrics counts a push and a pull and needs an Admin; /readyz fails when the database cannot be opened. Not run
/// beside other tests: the metrics pipeline listens to meters by name, process-wide, so other hosts' pushes would count.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsAndHealthTests
{
    [Fact]
    public async Task Metrics_after_a_push_and_a_pull_show_them_and_need_an_Admin()
    {
        await using var wharf = new AccessHost("basic");
        await wharf.InitializeAsync();
        using (var anonymous = await wharf.Client.GetAsync("/metrics")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var admin = wharf.Host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = AccessHost.Basic(AccessHost.AdminUser, AccessHost.AdminPassword);
        var digest = await admin.PushImageAsync("team/app", "1.0", TestContent.Image("metrics"));
        using (var pull = await admin.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);

        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("wharf_registry_events_total{otel_scope_name=\"Wharf.Registry\",kind=\"ManifestPushed\"} 1", metrics);
        Assert.Contains("wharf_registry_events_total{otel_scope_name=\"Wharf.Registry\",kind=\"ManifestPulled\"} 1", metrics);
        Assert.Contains("wharf_registry_bytes_received_bytes_total", metrics);
        Assert.Matches("http_server_request_duration_seconds_count\\{[^\\n]*http_request_method=\"PUT\",http_response_status_code=\"201\"[^\\n]*wharf_route=\"manifest\"\\} 1", metrics);
        Assert.Contains("dotnet_gc_collections_total{otel_scope_name=\"System.Runtime\"", metrics);
    }

    [Fact]
    public async Task Readyz_fails_while_the_database_file_cannot_be_opened_and_healthz_stays_alive()
    {
        // The database file is SQLite's: this runs on SQLite whichever database the rest of the run uses.
        await using var wharf = new RegistryTestHost { ForceSqlite = true };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();
        using (var ready = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // As root, permissions do not stop a read; a directory in the database file's place does.
        var database = Path.Combine(wharf.RootDirectory, "wharf", "registry.db");
        File.Move(database, database + ".moved");
        Directory.CreateDirectory(database);
        try
        {
            using var notReady = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("\"database\":{\"status\":\"unhealthy\"", await notReady.Content.ReadAsStringAsync());
            using var alive = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            Directory.Delete(database);
            File.Move(database + ".moved", database);
        }
        using (var again = await client.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}

[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;
