using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// Single-client blob transfers: downloads and monolithic uploads with curl, chunked uploads with HttpClient (one
/// PATCH per chunk with <c>Content-Range</c>, following each answer's <c>Location</c>, as skopeo does). Rates in MB/s
/// (10^6 bytes), from the time the client took.
/// </summary>
public static class Transfers
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>GET url into /dev/null with curl; MB/s.</summary>
    public static async Task<double> CurlDownloadAsync(string url, string? authorization, long expectedBytes)
    {
        var arguments = new List<string> { "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}" };
        if (authorization is not null) arguments.AddRange(["-H", $"Authorization: {authorization}"]);
        arguments.Add(url);
        var (status, bytes, seconds) = await CurlAsync(arguments);
        if (status != 200 || bytes != expectedBytes) throw new InvalidOperationException($"GET {url}: {status}, {bytes} bytes (expected {expectedBytes})");
        return bytes / 1e6 / seconds;
    }

    /// <summary>PUT a file to url with curl (streamed from the file, no <c>Expect: 100-continue</c> wait); seconds taken and the status.</summary>
    public static async Task<(int Status, double Seconds)> CurlPutAsync(string url, string file, string? authorization)
    {
        var arguments = new List<string> { "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_upload} %{time_total}", "-H", "Expect:", "-H", "Content-Type: application/octet-stream", "-T", file };
        if (authorization is not null) arguments.AddRange(["-H", $"Authorization: {authorization}"]);
        arguments.Add(url);
        var (status, _, seconds) = await CurlAsync(arguments);
        return (status, seconds);
    }

    /// <summary>POST an upload, then PUT the whole file with <c>?digest=</c> (curl); MB/s over both requests.</summary>
    public static async Task<double> MonolithicPushAsync(Registry registry, string repository, string file, string digest, string? authorization)
    {
        var clock = Stopwatch.StartNew();
        var location = await StartUploadAsync(registry, repository, authorization);
        var post = clock.Elapsed.TotalSeconds;
        var (status, seconds) = await CurlPutAsync(WithDigest(location, digest), file, authorization);
        if (status != 201) throw new InvalidOperationException($"{registry.Name}: monolithic PUT answered {status}");
        return new FileInfo(file).Length / 1e6 / (post + seconds);
    }

    /// <summary>POST, PATCH each chunk with Content-Range, PUT <c>?digest=</c>; MB/s from POST to the 201.</summary>
    public static async Task<double> ChunkedPushAsync(Registry registry, string repository, string file, string digest, int chunkSize, string? authorization)
    {
        var buffer = new byte[chunkSize];
        await using var input = File.OpenRead(file);
        var clock = Stopwatch.StartNew();
        var location = await StartUploadAsync(registry, repository, authorization);
        long offset = 0;
        int read;
        while ((read = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            using var patch = Request(HttpMethod.Patch, location, authorization);
            patch.Content = new ByteArrayContent(buffer, 0, read);
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + read - 1}");
            using var response = await Http.SendAsync(patch);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"{registry.Name}: PATCH answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            location = Absolute(registry, response.Headers.Location!);
            offset += read;
        }
        using var put = Request(HttpMethod.Put, WithDigest(location, digest), authorization);
        using var done = await Http.SendAsync(put);
        if (done.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"{registry.Name}: closing PUT answered {(int)done.StatusCode}: {await done.Content.ReadAsStringAsync()}");
        return offset / 1e6 / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Uploads a blob in one request, untimed (setting up a workload).</summary>
    public static async Task UploadAsync(Registry registry, string repository, string file, string digest, string? authorization)
    {
        var location = await StartUploadAsync(registry, repository, authorization);
        var (status, _) = await CurlPutAsync(WithDigest(location, digest), file, authorization);
        if (status != 201) throw new InvalidOperationException($"{registry.Name}: upload of {digest} answered {status}");
    }

    private static async Task<string> StartUploadAsync(Registry registry, string repository, string? authorization)
    {
        using var post = Request(HttpMethod.Post, $"{registry.BaseUrl}/v2/{repository}/blobs/uploads/", authorization);
        using var response = await Http.SendAsync(post);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"{registry.Name}: POST upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return Absolute(registry, response.Headers.Location!);
    }

    private static string Absolute(Registry registry, Uri location) => location.IsAbsoluteUri ? location.ToString() : registry.BaseUrl + location.OriginalString;

    private static string WithDigest(string location, string digest) => location + (location.Contains('?') ? '&' : '?') + "digest=" + Uri.EscapeDataString(digest);

    private static HttpRequestMessage Request(HttpMethod method, string url, string? authorization)
    {
        var request = new HttpRequestMessage(method, url);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private static async Task<(int Status, long Bytes, double Seconds)> CurlAsync(List<string> arguments)
    {
        var result = await ExternalTool.RunAsync("curl", arguments, TimeSpan.FromMinutes(10));
        var parts = result.Output.Trim().Split(' ');
        if (result.ExitCode != 0 || parts.Length != 3) throw new InvalidOperationException($"curl {string.Join(' ', arguments.Where(a => !a.StartsWith("Authorization", StringComparison.Ordinal)))} failed ({result.ExitCode}): {result.All}");
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), (long)double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
    }
}
