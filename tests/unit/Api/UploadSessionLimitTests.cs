using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Metadata;
using Wharf.Registry.Uploads;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// Open upload sessions are capped per caller and overall, atomically; one caller's pile of empty sessions never
/// shuts a repository for the others; and opening a session creates no repository.
/// </summary>
public sealed class UploadSessionLimitTests : IAsyncLifetime
{
    private const string Repo = "limits/app";
    private const int PerCaller = 10;
    private const int Overall = 25;

    private readonly RegistryTestHost _host = new()
    {
        Settings = [$"--Wharf:Uploads:MaxSessionsPerCaller={PerCaller}", $"--Wharf:Uploads:MaxSessions={Overall}"],
    };

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    /// <summary>A client whose requests come from <paramref name="address"/> (in memory: nothing goes on a network).</summary>
    private HttpClient ClientFrom(string address)
    {
        var handler = _host.App.GetTestServer().CreateHandler(c => c.Connection.RemoteIpAddress = IPAddress.Parse(address));
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/") };
    }

    private static async Task<HttpStatusCode[]> PostManyAsync(HttpClient client, int count)
    {
        var posts = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            using var response = await client.PostAsync($"/v2/{Repo}/blobs/uploads/", null);
            if (response.StatusCode != HttpStatusCode.Accepted) await AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            return response.StatusCode;
        }));
        return await Task.WhenAll(posts);
    }

    [Fact]
    public async Task Concurrent_posts_by_one_caller_open_exactly_the_cap()
    {
        using var client = ClientFrom("192.0.2.1");
        var answers = await PostManyAsync(client, 4 * PerCaller);
        Assert.Equal(PerCaller, answers.Count(a => a == HttpStatusCode.Accepted));
        Assert.Equal(PerCaller, await CountSessionsAsync());
    }

    [Fact]
    public async Task Concurrent_posts_by_many_callers_open_exactly_the_overall_cap()
    {
        var clients = Enumerable.Range(1, 6).Select(i => ClientFrom($"192.0.2.{i}")).ToList();
        var answers = (await Task.WhenAll(clients.Select(c => PostManyAsync(c, PerCaller)))).SelectMany(a => a).ToList();
        Assert.Equal(Overall, answers.Count(a => a == HttpStatusCode.Accepted));
        Assert.Equal(Overall, await CountSessionsAsync());
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_thousand_empty_sessions_by_one_caller_do_not_block_another_callers_push_to_the_repository()
    {
        using var hoarder = ClientFrom("192.0.2.66");
        var answers = await PostManyAsync(hoarder, 1000);
        Assert.Equal(PerCaller, answers.Count(a => a == HttpStatusCode.Accepted));

        using var pusher = ClientFrom("192.0.2.7");
        var image = TestContent.Image("not blocked");
        var digest = await pusher.PushImageAsync(Repo, "1", image);
        using var manifest = await pusher.GetAsync($"/v2/{Repo}/manifests/1");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(digest, Header(manifest, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task A_session_counts_again_once_it_is_finished_or_cancelled()
    {
        using var client = ClientFrom("192.0.2.9");
        var locations = new List<string>();
        for (var i = 0; i < PerCaller; i++) locations.Add(await client.StartUploadAsync(Repo));
        using (var refused = await client.PostAsync($"/v2/{Repo}/blobs/uploads/", null))
            await AssertErrorAsync(refused, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");

        using (var cancel = await client.DeleteAsync(locations[0])) Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        var content = TestContent.Layer("finished");
        using (var put = await client.PutAsync(WithQuery(locations[1], "digest=" + Digests.Sha256(content)), Bytes(content)))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await client.StartUploadAsync(Repo);
        await client.StartUploadAsync(Repo);
    }

    [Fact]
    public async Task Opening_a_session_creates_no_repository_committing_a_blob_does()
    {
        using var client = ClientFrom("192.0.2.10");
        var location = await client.StartUploadAsync("limits/only-a-post");
        Assert.DoesNotContain("limits/only-a-post", await client.CatalogAsync());
        Assert.False(await WithDbAsync(db => db.Repositories.AnyAsync(r => r.Name == "limits/only-a-post")));

        var content = TestContent.Layer("committed");
        using var put = await client.PutAsync(WithQuery(location, "digest=" + Digests.Sha256(content)), Bytes(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.True(await WithDbAsync(db => db.Repositories.AnyAsync(r => r.Name == "limits/only-a-post")));
    }

    [Fact]
    public async Task The_engine_reports_how_many_sessions_are_open_and_the_bytes_they_hold()
    {
        using var client = ClientFrom("192.0.2.11");
        await client.StartUploadAsync(Repo);
        var holding = await client.StartUploadAsync(Repo);
        using (var patch = await client.PatchAsync(holding, Bytes(new byte[1234]))) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);

        await using var scope = _host.Services.CreateAsyncScope();
        var statistics = await scope.ServiceProvider.GetRequiredService<UploadSessionStatisticsQuery>().GetAsync(CancellationToken.None);
        Assert.Equal(new UploadSessionStatistics(OpenSessions: 2, BytesHeld: 1234, EmptySessions: 1, FailedSessions: 0), statistics);
    }

    private Task<int> CountSessionsAsync() => WithDbAsync(db => db.UploadSessions.CountAsync());

    private async Task<T> WithDbAsync<T>(Func<RegistryDbContext, Task<T>> query)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }
}
