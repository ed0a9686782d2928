using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// SIGKILL in the middle of a large upload and of manifest pushes: after a restart nothing partial is served, every
/// acknowledged image still pulls, and the interrupted upload resumes where its durable bytes end.
/// </summary>
public sealed class CrashTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private WharfProcess _wharf = null!;
    private OciLayout _layout = null!;
    private OciLayout.Image _baseline = null!;

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _wharf = await WharfProcess.StartAsync(_temp.Combine("root"));
        _layout = new OciLayout(_temp.Combine("images"));
        _baseline = _layout.AddImage("base", [(200, 400_000), (201, 100_000)]);
        await ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{_layout.Directory}:base", $"docker://{_wharf.HostPort}/team/base:1");
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Kill_during_a_large_upload_serves_nothing_partial_and_the_upload_resumes()
    {
        const long length = 512L << 20;
        var digest = PatternStream.DigestOf(length);
        using var http = new RegistryHttp(_wharf.HostPort);
        var location = await http.StartUploadAsync("big/upload");

        var killed = new TaskCompletionSource();
        var killer = Task.Run(async () =>
        {
            await killed.Task;
            await _wharf.KillAsync();
        });
        var stream = new PatternStream(length, progress: sent => { if (sent > 96L << 20) killed.TrySetResult(); });
        using var content = new StreamContent(stream, 256 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        patch.Headers.TransferEncodingChunked = true;
        await Assert.ThrowsAnyAsync<Exception>(() => http.Client.SendAsync(patch));
        await killer;

        await _wharf.StartAsync();
        using (var head = await http.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/big/upload/blobs/{digest}")))
            Assert.Equal(404, (int)head.StatusCode);

        // The session survived the crash. A chunk counts only once it is acknowledged, and the one PATCH was cut off,
        // so the session holds nothing (distribution's "0-0" for an empty session) and the client sends it again.
        using var status = await http.Client.GetAsync(location);
        Assert.Equal(204, (int)status.StatusCode);
        Assert.Equal("0-0", status.Headers.GetValues("Range").Single());
        const long held = 0;

        using var rest = new StreamContent(new PatternStream(length, start: held), 256 * 1024);
        rest.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        rest.Headers.ContentLength = length - held;
        rest.Headers.TryAddWithoutValidation("Content-Range", $"{held}-{length - 1}");
        using var resumed = await http.Client.PatchAsync(location, rest);
        Assert.Equal(202, (int)resumed.StatusCode);
        using var put = await http.Client.PutAsync($"{resumed.Headers.Location}?digest={digest}", null);
        Assert.Equal(201, (int)put.StatusCode);

        await AssertStoreIntactAsync();
    }

    [Fact]
    public async Task Kill_during_manifest_pushes_loses_no_acknowledged_manifest()
    {
        using var http = new RegistryHttp(_wharf.HostPort);
        var (baseManifest, _, _, _) = await http.ManifestAsync("team/base", "1");
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var counter = 0;

        async Task PushLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref counter);
                var manifest = JsonNode.Parse(baseManifest)!.AsObject();
                manifest["annotations"] = new JsonObject { ["build"] = i.ToString() };
                var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
                using var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestType);
                try
                {
                    using var response = await http.Client.PutAsync($"/v2/team/base/manifests/build-{i}", content);
                    if ((int)response.StatusCode == 201) acknowledged[$"build-{i}"] = RegistryHttp.Sha256(bytes);
                }
                catch (HttpRequestException) { return; }
            }
        }

        var pushers = Enumerable.Range(0, 4).Select(_ => Task.Run(PushLoop)).ToArray();
        while (acknowledged.Count < 40) await Task.Delay(20);
        await _wharf.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(pushers);

        await _wharf.StartAsync();
        foreach (var (tag, digest) in acknowledged)
        {
            var (content, served, _, status) = await http.ManifestAsync("team/base", tag);
            Assert.Equal(200, status);
            Assert.Equal(digest, served);
            Assert.Equal(digest, RegistryHttp.Sha256(content));
        }
        // Whatever was listed (acknowledged or caught mid-flight) is whole.
        foreach (var tag in await http.TagsAsync("team/base"))
        {
            var (content, served, _, status) = await http.ManifestAsync("team/base", tag);
            Assert.Equal(200, status);
            Assert.Equal(served, RegistryHttp.Sha256(content));
        }
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{_wharf.HostPort}/team/base:{acknowledged.Keys.First()}", $"oci:{_temp.Combine("pulled-build")}:x");
        await AssertStoreIntactAsync();
    }

    /// <summary>The baseline image still pulls whole, and every blob in the store hashes to the digest it is stored under.</summary>
    private async Task AssertStoreIntactAsync()
    {
        await ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{_wharf.HostPort}/team/base:1", $"oci:{_temp.Combine("pulled-base")}:x");
        var blobs = Path.Combine(_wharf.RootDirectory, "docker", "registry", "v2", "blobs", "sha256");
        foreach (var data in Directory.GetFiles(blobs, "data", SearchOption.AllDirectories))
        {
            var expected = Path.GetFileName(Path.GetDirectoryName(data))!;
            await using var file = File.OpenRead(data);
            Assert.Equal(expected, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
        }
        Assert.Contains(_baseline.ManifestDigest, await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{_wharf.HostPort}/team/base:1"));
    }
}
