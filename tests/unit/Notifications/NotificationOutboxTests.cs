using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Registry.Notifications;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Notifications;

/// <summary>
/// A change's notification is written in the change's own transaction: the queued row exists if and only if the
/// change committed. The database is made to refuse, in turn, the notification row (a crash between the commit and
/// the queue, had they been two steps) and the change itself; neither leaves one without the other.
/// </summary>
public sealed class NotificationOutboxTests : IAsyncLifetime
{
    // Nothing listens on the discard port: deliveries fail and every queued row stays where the test can see it.
    private readonly RegistryTestHost _host = new()
    {
        Settings =
        [
            "--registry:notifications:endpoints:0:name=nowhere",
            "--registry:notifications:endpoints:0:url=http://127.0.0.1:9/events",
            "--registry:notifications:endpoints:0:backoff=1h",
            "--registry:notifications:endpoints:0:threshold=1",
        ],
    };

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task SqlAsync(string sql)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>Makes inserts into <paramref name="table"/> fail when <paramref name="column"/> contains <paramref name="text"/>.</summary>
    private Task RefuseInsertsAsync(string table, string column, string text) => _host.Database.IsPostgreSql
        ? SqlAsync($"""
            CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$
            BEGIN IF NEW."{column}" LIKE '%{text}%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_{table} BEFORE INSERT ON "{table}" FOR EACH ROW EXECUTE FUNCTION refuse_{table}();
            """)
        : SqlAsync($"""
            CREATE TRIGGER refuse_{table} BEFORE INSERT ON "{table}" WHEN NEW."{column}" LIKE '%{text}%'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
            """);

    private async Task<List<string>> QueuedAsync(string digest)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().Set<PendingNotificationRecord>()
            .Where(r => r.Event.Contains(digest)).Select(r => r.Event).ToListAsync();
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string repository, string reference)
    {
        using var response = await client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}", r => r.Headers.Accept.ParseAdd(TestContent.OciManifest));
        return response.StatusCode;
    }

    [Fact]
    public async Task The_queued_row_exists_if_and_only_if_the_change_committed()
    {
        using var client = _host.CreateClient();
        var kept = TestContent.Image("kept");
        var unqueued = TestContent.Image("unqueued");
        var unrecorded = TestContent.Image("unrecorded");
        foreach (var image in new[] { kept, unqueued, unrecorded })
            foreach (var blob in image.Blobs) await client.PushBlobAsync("team/app", blob);
        await RefuseInsertsAsync("PendingNotifications", "Event", "\"tag\":\"unqueued\"");
        await RefuseInsertsAsync("Tags", "Name", "unrecorded");

        // The notification cannot be written: the push fails as a whole and the manifest is not there.
        using (var refused = await client.PutManifestAsync("team/app", "unqueued", unqueued.Manifest, unqueued.MediaType))
            Assert.False(refused.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, "team/app", unqueued.Digest));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, "team/app", "unqueued"));

        // The change cannot be written (its tag): no notification of it is queued.
        using (var refused = await client.PutManifestAsync("team/app", "unrecorded", unrecorded.Manifest, unrecorded.MediaType))
            Assert.False(refused.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, "team/app", unrecorded.Digest));
        Assert.Empty(await QueuedAsync(unrecorded.Digest));

        // Both written: one row for the one endpoint, for the push and then for the delete.
        await client.PushManifestAsync("team/app", "kept", kept.Manifest, kept.MediaType);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "team/app", "kept"));
        Assert.Single(await QueuedAsync(kept.Digest), e => e.Contains("\"action\":\"push\""));
        using (var delete = await client.DeleteAsync($"/v2/team/app/manifests/{kept.Digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Single(await QueuedAsync(kept.Digest), e => e.Contains("\"action\":\"delete\""));
        Assert.Equal(2, (await QueuedAsync(kept.Digest)).Count);
    }
}
