using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Wharf.Bench.HotPaths;

/// <summary>What a populate run measured.</summary>
public sealed record PopulateResult(TimeSpan Elapsed, int Images, double ManifestPutP99Ms, double WorstWriteMs, int Failures, string? FirstFailure);

/// <summary>
/// The populate driver: pushes <c>repositories × tags</c> small images through the API from several threads, as
/// a busy CI farm does. Each thread takes repositories in turn and, for each, gets a token for that repository
/// (Basic credentials to the token endpoint, as docker does after <c>docker login</c>), then pushes every tag the
/// way docker pushes a blob: <c>HEAD</c>, <c>POST</c> an upload, <c>PUT ?digest=</c>; then the manifest. Every
/// image has its own layer and config. Times every write request.
/// </summary>
public static class Populate
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    public static async Task<PopulateResult> RunAsync(Registry registry, string prefix, int repositories, int tags, int threads)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = threads, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(registry.BaseUrl),
            Timeout = TimeSpan.FromMinutes(5),
        };
        var manifestPuts = new ConcurrentBag<double>();
        var writes = new ConcurrentBag<double>();
        var failures = 0;
        string? firstFailure = null;
        var next = -1;
        var clock = Stopwatch.StartNew();

        async Task Worker()
        {
            int r;
            while ((r = Interlocked.Increment(ref next)) < repositories)
            {
                var name = $"{prefix}/r{r:D5}";
                try
                {
                    var authorization = await registry.AuthorizationAsync($"repository:{name}:pull,push");
                    for (var t = 0; t < tags; t++)
                    {
                        var layer = Encoding.UTF8.GetBytes($"layer of {name}:{t} " + new string('x', 200 + t));
                        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"image\":\"" + name + ":" + t + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
                        var layerDigest = await PushBlobAsync(http, name, layer, authorization, writes);
                        var configDigest = await PushBlobAsync(http, name, config, authorization, writes);
                        var manifest = ManifestBytes(configDigest, config.Length, layerDigest, layer.Length);
                        using var put = Request(HttpMethod.Put, $"/v2/{name}/manifests/t{t}", authorization);
                        put.Content = new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(ManifestType) } };
                        var ms = await TimedAsync(http, put, HttpStatusCode.Created);
                        manifestPuts.Add(ms);
                        writes.Add(ms);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
                {
                    if (Interlocked.Increment(ref failures) == 1) firstFailure = $"{name}: {e.Message}";
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(Worker)));
        var elapsed = clock.Elapsed;
        return new PopulateResult(elapsed, repositories * tags, Percentile(manifestPuts, 99), writes.IsEmpty ? 0 : writes.Max(), failures, firstFailure);
    }

    private static async Task<string> PushBlobAsync(HttpClient http, string name, byte[] content, string? authorization, ConcurrentBag<double> writes)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using (var head = Request(HttpMethod.Head, $"/v2/{name}/blobs/{digest}", authorization))
        using (var response = await http.SendAsync(head))
        {
            if (response.StatusCode == HttpStatusCode.OK) return digest;
            if (response.StatusCode != HttpStatusCode.NotFound) throw new InvalidOperationException($"HEAD blob answered {(int)response.StatusCode}");
        }
        string location;
        using (var post = Request(HttpMethod.Post, $"/v2/{name}/blobs/uploads/", authorization))
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(post);
            writes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.Accepted) throw await FailureAsync("POST upload", response);
            location = response.Headers.Location!.ToString();
        }
        var separator = location.Contains('?') ? '&' : '?';
        using var put = Request(HttpMethod.Put, $"{location}{separator}digest={Uri.EscapeDataString(digest)}", authorization);
        put.Content = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };
        writes.Add(await TimedAsync(http, put, HttpStatusCode.Created));
        return digest;
    }

    private static byte[] ManifestBytes(string config, int configSize, string layer, int layerSize) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = ManifestType,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = config, size = configSize },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = layer, size = layerSize } },
        });

    private static HttpRequestMessage Request(HttpMethod method, string url, string? authorization)
    {
        var request = new HttpRequestMessage(method, url);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private static async Task<double> TimedAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode expected)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.StatusCode != expected) throw await FailureAsync($"{request.Method} {request.RequestUri}", response);
        return ms;
    }

    private static async Task<InvalidOperationException> FailureAsync(string what, HttpResponseMessage response) =>
        new($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    public static double Percentile(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var index = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
