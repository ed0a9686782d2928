using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.E2E.Cluster;

/// <summary>
/// Single-flight across the cluster: eight concurrent cold pulls of one image, spread over three instances of a
/// pull-through cache, send exactly one GET per blob to the upstream (distribution 2.8, its access log counted).
/// The reference registry's own docs say this "does not hold true for a registry cache cluster".
/// </summary>
public sealed class ClusterProxyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "wharf-upstream";
    private const string Password = "Upstream-Pa55-cluster";

    private readonly TempDirectory _temp = new("wharf-cluster-proxy");
    private UpstreamRegistry _upstream = null!;
    private WharfCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _upstream = await UpstreamRegistry.StartWithHtpasswdAsync(_temp.Combine("upstream"), User, Password);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            output.WriteLine(_cluster.Logs);
            await _cluster.DisposeAsync();
        }
        await _upstream.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>
    /// Opens each blob's gate once every instance has asked the upstream for it, or a while after the first asked
    /// (the others are waiting for that fetch, or were slow to ask: either way the overlap was given its chance).
    /// </summary>
    private async Task OpenGatesAsync(GatedUpstreamProxy gate, List<string> digests, CancellationToken stop)
    {
        var firstSeen = new Dictionary<string, DateTime>();
        while (!stop.IsCancellationRequested && digests.Count > 0)
        {
            foreach (var digest in digests.ToList())
            {
                if (gate.BlobGets(digest) == 0) continue;
                firstSeen.TryAdd(digest, DateTime.UtcNow);
                if (gate.BlobGets(digest) >= _cluster.Instances.Count || DateTime.UtcNow - firstSeen[digest] > TimeSpan.FromSeconds(20))
                {
                    gate.Open(digest);
                    digests.Remove(digest);
                }
            }
            try { await Task.Delay(100, stop); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>A client with a pull token for <paramref name="repository"/> from the instance's own token endpoint.</summary>
    private static async Task<HttpClient> LoggedInClientAsync(string hostPort, string repository)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{hostPort}"), Timeout = TimeSpan.FromMinutes(5) };
        using var ping = await client.GetAsync("/v2/");
        var challenge = ping.Headers.WwwAuthenticate.Single().Parameter!;
        string Parameter(string name) => Regex.Match(challenge, $"{name}=\"([^\"]*)\"").Groups[1].Value;
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get,
            $"{Parameter("realm")}?service={Uri.EscapeDataString(Parameter("service"))}&scope={Uri.EscapeDataString($"repository:{repository}:pull")}");
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WharfProcess.DefaultAdminUser}:{WharfProcess.DefaultAdminPassword}")));
        using var tokenResponse = await client.SendAsync(tokenRequest);
        tokenResponse.EnsureSuccessStatusCode();
        using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.RootElement.GetProperty("token").GetString());
        return client;
    }

    [Fact]
    public async Task Eight_concurrent_cold_pulls_through_three_instances_send_one_upstream_GET_per_blob()
    {
        var layout = new OciLayout(_temp.Combine("images"));
        var image = layout.AddImage("big", [(950, 12 << 20), (951, 8 << 20), (952, 4 << 20), (953, 300_000)]);
        await _upstream.PushAsync(layout, "big", "team/tool:1.0");
        // Every blob GET that reaches the upstream is held until the other instances had their chance to ask too
        // (or, when they never do, as with cluster-wide single flight, for a while): however the machine schedules the
        // eight pulls, each instance's request arrives while the first fetch is still in flight.
        await using var gate = new GatedUpstreamProxy(_upstream.Url);
        _cluster = await WharfCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["Wharf__Upstreams__0__Name"] = "up",
            ["Wharf__Upstreams__0__Prefix"] = "up",
            ["Wharf__Upstreams__0__Url"] = gate.Url,
            ["Wharf__Upstreams__0__Username"] = User,
            ["Wharf__Upstreams__0__Password"] = Password,
        });

        // Eight pulls, spread over the instances, each logged in beforehand and released at once: each reads the
        // manifest by tag, then every blob it names, concurrently, as docker and containerd do.
        var clients = new List<HttpClient>();
        foreach (var i in Enumerable.Range(0, 8))
            clients.Add(await LoggedInClientAsync(_cluster.Instances[i % _cluster.Instances.Count].HostPort, "up/team/tool"));
        using var start = new SemaphoreSlim(0);
        var pulls = clients.Select(client => Task.Run(async () =>
        {
            await start.WaitAsync();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/up/team/tool/manifests/1.0");
            request.Headers.Accept.ParseAdd(OciLayout.ManifestType);
            using var response = await client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            var manifest = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(image.ManifestDigest, RegistryHttp.Sha256(manifest));
            using var json = JsonDocument.Parse(manifest);
            var digests = json.RootElement.GetProperty("layers").EnumerateArray().Append(json.RootElement.GetProperty("config"))
                .Select(b => b.GetProperty("digest").GetString()!).ToList();
            await Task.WhenAll(digests.Select(async digest =>
            {
                var bytes = await client.GetByteArrayAsync($"/v2/up/team/tool/blobs/{digest}");
                Assert.Equal(digest, RegistryHttp.Sha256(bytes));
            }));
        })).ToArray();
        using var opened = new CancellationTokenSource();
        var opener = OpenGatesAsync(gate, image.Layers.Append(image.Config).Select(b => b.Digest).ToList(), opened.Token);
        start.Release(pulls.Length);
        await Task.WhenAll(pulls);
        await opened.CancelAsync();
        await opener;
        foreach (var client in clients) client.Dispose();
        // Every instance served the image (each one had its own cold pulls to answer).
        foreach (var instance in _cluster.Instances)
            Assert.Contains($"GET /v2/up/team/tool/blobs/{image.Layers[0].Digest}", instance.Log);

        foreach (var line in _upstream.AccessLog().Where(l => l.UserAgent.StartsWith("Wharf", StringComparison.Ordinal)))
            output.WriteLine($"upstream saw {line.Method} {line.Path} {line.Status}");
        foreach (var blob in image.Layers.Append(image.Config))
            Assert.Equal(1, _upstream.CountRequests("GET", $"/v2/team/tool/blobs/{blob.Digest}"));
        // Every pull got the whole image: the store holds each blob under its digest.
        foreach (var blob in image.Layers)
        {
            var stored = Path.Combine(_cluster.RootDirectory, "docker", "registry", "v2", "blobs", "sha256", blob.Digest[7..9], blob.Digest[7..], "data");
            Assert.Equal(blob.Size, new FileInfo(stored).Length);
        }
    }
}
