using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Notifications;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Notifications;

/// <summary>
/// distribution's notifications to a real HTTP listener on loopback: push, pull and delete arrive in distribution's
/// envelope; while the listener is down and Wharf restarts, nothing is lost (at least once, with ids).
/// </summary>
public sealed class NotificationTests : IAsyncLifetime
{
    private readonly Listener _listener = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-notify-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => _listener.StartAsync();

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private RegistryTestHost Wharf(params string[] more) => new()
    {
        RootDirectory = _root,
        KeepDirectory = true,
        Settings =
        [
            "--registry:notifications:endpoints:0:name=listener",
            "--registry:notifications:endpoints:0:url=" + _listener.Url,
            "--registry:notifications:endpoints:0:headers:Authorization:0=Bearer listener-secret",
            "--registry:notifications:endpoints:0:timeout=2s",
            "--registry:notifications:endpoints:0:threshold=2",
            "--registry:notifications:endpoints:0:backoff=100ms",
            .. more,
        ],
    };

    [Fact]
    public async Task Push_pull_and_delete_arrive_in_distributions_envelope()
    {
        var wharf = Wharf("--registry:notifications:endpoints:0:ignore:actions:0=mount");
        await wharf.InitializeAsync();
        try
        {
            var client = wharf.CreateClient();
            var image = TestContent.Image("notify");
            var digest = await client.PushImageAsync("team/app", "1.0", image);
            using (var pull = await client.GetAsync($"/v2/team/app/manifests/1.0")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
            using (var delete = await client.DeleteAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

            var events = await _listener.WaitForAsync(e => e.Any(x => x.Action == "delete" && x.Digest == digest));
            Assert.All(_listener.Requests, r =>
            {
                Assert.Equal("application/vnd.docker.distribution.events.v1+json", r.ContentType);
                Assert.Equal("Bearer listener-secret", r.Authorization);
            });
            var push = Assert.Single(events, e => e.Action == "push" && e.Digest == digest);
            Assert.Equal("1.0", push.Tag);
            Assert.Equal("team/app", push.Repository);
            Assert.Equal(image.MediaType, push.MediaType);
            Assert.EndsWith($"/v2/team/app/manifests/{digest}", push.Url);
            Assert.Equal("PUT", push.Method);
            Assert.Contains(events, e => e.Action == "push" && e.MediaType == "application/octet-stream");
            Assert.Contains(events, e => e.Action == "pull" && e.Digest == digest);
            // Every event once here (nothing failed), with distinct ids, in the order they happened.
            Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
            Assert.True(events.FindIndex(e => e.Action == "pull") < events.FindIndex(e => e.Action == "delete"));
        }
        finally
        {
            await wharf.DisposeAsync();
        }
    }

    [Fact]
    public async Task Events_wait_out_a_listener_that_is_down_and_a_restart_of_Wharf()
    {
        _listener.Down = true;
        var first = Wharf();
        await first.InitializeAsync();
        string digest;
        try
        {
            digest = await first.CreateClient().PushImageAsync("team/app", "2.0", TestContent.Image("restart"));
            // Three refusals: deliveries are sequential, so the first two are recorded by now (the error and the queue).
            await _listener.WaitForRefusalsAsync(3);
            var status = Assert.Single(await first.Services.GetRequiredService<NotificationStatus>().GetAsync(CancellationToken.None));
            Assert.True(status.Pending >= 1);
            Assert.Equal("503 Service Unavailable", status.LastError);
        }
        finally
        {
            await first.DisposeAsync();
        }

        _listener.Down = false;
        var second = Wharf();
        await second.InitializeAsync();
        try
        {
            var events = await _listener.WaitForAsync(e => e.Any(x => x.Action == "push" && x.Digest == digest));
            Assert.Single(events, e => e.Action == "push" && e.Digest == digest);
            Assert.Equal(3, events.Count(e => e.Action == "push")); // the manifest and its two blobs, each once
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private sealed record Received(string? ContentType, string? Authorization);

    private sealed record Event(string Id, string Action, string? Repository, string? Digest, string? Tag, string? MediaType, string? Url, string? Method);

    /// <summary>A notification endpoint on a loopback port; answers 503 while <see cref="Down"/>.</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Event> _events = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private int _refusals;
        private WebApplication? _app;

        public volatile bool Down;
        public ConcurrentQueue<Received> Requests { get; } = new();
        public string Url { get; private set; } = "";

        public async Task StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            _app = builder.Build();
            _app.MapPost("/events", async (HttpContext context) =>
            {
                if (Down)
                {
                    Interlocked.Increment(ref _refusals);
                    _arrived.Release();
                    return Results.StatusCode(503);
                }
                Requests.Enqueue(new Received(context.Request.ContentType, context.Request.Headers.Authorization));
                using var body = await JsonDocument.ParseAsync(context.Request.Body);
                foreach (var e in body.RootElement.GetProperty("events").EnumerateArray())
                {
                    var target = e.GetProperty("target");
                    string? S(JsonElement element, string name) => element.TryGetProperty(name, out var v) ? v.GetString() : null;
                    _events.Enqueue(new Event(e.GetProperty("id").GetString()!, e.GetProperty("action").GetString()!, S(target, "repository"),
                        S(target, "digest"), S(target, "tag"), S(target, "mediaType"), S(target, "url"),
                        e.TryGetProperty("request", out var request) ? S(request, "method") : null));
                }
                _arrived.Release();
                return Results.Ok();
            });
            await _app.StartAsync();
            Url = _app.Urls.Single() + "/events";
        }

        /// <summary>Waits (at most a minute) until the events received so far satisfy the condition.</summary>
        public async Task<List<Event>> WaitForAsync(Func<List<Event>, bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (!condition(_events.ToList())) await _arrived.WaitAsync(timeout.Token);
            return _events.ToList();
        }

        public async Task WaitForRefusalsAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (Volatile.Read(ref _refusals) < count) await _arrived.WaitAsync(timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null) await _app.DisposeAsync();
        }
    }
}
