using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// An upstream for the pull-through cache: Debian's docker-registry (distribution 2.8) behind htpasswd (bcrypt)
/// credentials or a token service, filled with skopeo or plain HTTP. Its access log (on by default in 2.8, one
/// combined-format line per request on its output) tells how many requests Wharf sent.
/// </summary>
public sealed partial class UpstreamRegistry : IAsyncDisposable
{
    private readonly DistributionRegistry _registry;

    private UpstreamRegistry(DistributionRegistry registry, string user, string password)
    {
        _registry = registry;
        User = user;
        Password = password;
    }

    public string User { get; }
    public string Password { get; }
    public string HostPort => _registry.HostPort;
    public string Url => $"http://{HostPort}";
    public DistributionRegistry Registry => _registry;

    /// <summary>Starts a registry that wants <paramref name="user"/>/<paramref name="password"/> (bcrypt htpasswd).</summary>
    public static async Task<UpstreamRegistry> StartWithHtpasswdAsync(string directory, string user, string password)
    {
        Directory.CreateDirectory(directory);
        var htpasswd = await ExternalTool.RunAsync("htpasswd", ["-Bbn", user, password]);
        if (htpasswd.ExitCode != 0) throw new InvalidOperationException($"htpasswd failed: {htpasswd.All}");
        var file = Path.Combine(directory, "htpasswd");
        await File.WriteAllTextAsync(file, htpasswd.Output.Trim() + "\n");
        var registry = await DistributionRegistry.StartAsync(Path.Combine(directory, "root"), directory, $"""
            auth:
              htpasswd:
                realm: upstream-realm
                path: {file}
            """);
        return new UpstreamRegistry(registry, user, password);
    }

    /// <summary>Starts a registry behind <paramref name="tokens"/> (distribution's <c>auth: token</c>).</summary>
    public static async Task<UpstreamRegistry> StartWithTokenServiceAsync(string directory, TokenServer tokens, string user, string password)
    {
        Directory.CreateDirectory(directory);
        var registry = await DistributionRegistry.StartAsync(Path.Combine(directory, "root"), directory, tokens.RegistryAuthYaml);
        return new UpstreamRegistry(registry, user, password);
    }

    public Task StopAsync() => _registry.StopAsync();

    public Task RestartAsync() => _registry.StartAsync();

    /// <summary>Copies an image of an OCI layout to <paramref name="reference"/> ("repo:tag") here, with the credentials.</summary>
    public Task PushAsync(OciLayout layout, string tag, string reference) =>
        ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}",
            $"oci:{layout.Directory}:{tag}", $"docker://{HostPort}/{reference}");

    /// <summary>Requests Wharf made for a path, counted in the access log (<c>"GET /v2/... HTTP/1.1"</c>, Wharf's user agent).</summary>
    public int CountRequests(string method, string path) =>
        AccessLog().Count(l => l.Method == method && l.Path == path && l.UserAgent.StartsWith("Wharf", StringComparison.Ordinal));

    public IEnumerable<(string Method, string Path, int Status, string UserAgent)> AccessLog()
    {
        foreach (var line in _registry.Log.Split('\n'))
        {
            var match = AccessLine().Match(line);
            if (match.Success)
                yield return (match.Groups["method"].Value, match.Groups["path"].Value, int.Parse(match.Groups["status"].Value), match.Groups["agent"].Value);
        }
    }

    [GeneratedRegex("\"(?<method>[A-Z]+) (?<path>\\S+) HTTP/[0-9.]+\" (?<status>\\d{3}) \\S+ \"[^\"]*\" \"(?<agent>[^\"]*)\"")]
    private static partial Regex AccessLine();

    /// <summary>
    /// Pushes one large blob (generated, never held in memory) as the only layer of an image, with plain HTTP: for
    /// blobs too big to build as an OCI layout.
    /// </summary>
    /// <returns>The layer's digest.</returns>
    public async Task<string> PushLargeImageAsync(string repository, string tag, long size, int seed)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var layer = PatternStream.DigestOf(size, seed);
        await PushBlobAsync(http, repository, layer, new PatternStream(size, seed), size);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var configDigest = RegistryHttp.Sha256(config);
        await PushBlobAsync(http, repository, configDigest, new MemoryStream(config), config.Length);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciLayout.ManifestType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = layer, ["size"] = size }),
        }.ToJsonString());
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestType);
        using var put = await http.PutAsync($"/v2/{repository}/manifests/{tag}", content);
        if ((int)put.StatusCode != 201) throw new InvalidOperationException($"manifest push answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        return layer;
    }

    private static async Task PushBlobAsync(HttpClient http, string repository, string digest, Stream body, long size)
    {
        using var start = await http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        if ((int)start.StatusCode != 202) throw new InvalidOperationException($"upload start answered {(int)start.StatusCode}");
        var location = start.Headers.Location!;
        var separator = location.ToString().Contains('?') ? '&' : '?';
        using var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentLength = size;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.PutAsync($"{location}{separator}digest={Uri.EscapeDataString(digest)}", content);
        if ((int)put.StatusCode != 201) throw new InvalidOperationException($"blob push answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
    }

    public ValueTask DisposeAsync() => _registry.DisposeAsync();
}
