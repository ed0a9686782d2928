using System.Net.Http.Headers;
using System.Security.Cryptography;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>
/// Wharf on an object store (S3 against s3rver, Azure Blob against Azurite), with skopeo: a multi-layer image and a
/// two-platform index round trip with identical digests, blob GETs are redirected to the store and followed,
/// garbage collection frees a deleted image's objects while every remaining tag pulls, and a data tree written by
/// distribution 2.8, put into the bucket as it is, is imported and served with the same digests; a chunked upload
/// resumes after a restart, and SIGKILL in the middle of a large upload serves nothing partial.
/// </summary>
public abstract class ObjectStorageTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private ObjectStore _store = null!;
    private OciLayout _layout = null!;

    protected abstract Task<ObjectStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        _store = await CreateStoreAsync();
        _layout = new OciLayout(_temp.Combine("images"));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A Wharf on <paramref name="store"/>, configured by a distribution config.yml; its metadata database in the test's directory.</summary>
    private async Task<WharfProcess> StartWharfAsync(ObjectStore store, string name = "wharf")
    {
        var config = _temp.Combine($"{name}.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            storage:
            {store.StorageYaml}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:5000
            """);
        var wharf = new WharfProcess(_temp.Combine(name), StateEnvironment(name), configFile: config);
        await wharf.StartAsync();
        return wharf;
    }

    private Dictionary<string, string> StateEnvironment(string name) => new() { ["Wharf__DataDirectory"] = _temp.Combine(name, "state") };

    private static Task<string> Copy(params string[] args) =>
        ExternalTool.SkopeoOkAsync(["copy", "--src-tls-verify=false", "--dest-tls-verify=false", .. args]);

    private static async Task<string> DigestOfAsync(string reference) =>
        (await ExternalTool.SkopeoOkAsync("inspect", "--tls-verify=false", "--format", "{{.Digest}}", reference)).Trim();

    private static string BlobKey(string digest) => $"docker/registry/v2/blobs/sha256/{digest[7..9]}/{digest[7..]}/data";

    [Fact]
    public async Task Images_and_indexes_round_trip_with_identical_digests_and_blob_GETs_go_to_the_store()
    {
        await using var wharf = await StartWharfAsync(_store);
        var image = _layout.AddImage("app", [(1, 300_000), (2, 6_500_000), (3, 50_000)]);
        var (indexDigest, platforms) = _layout.AddIndex("multi", [("amd64", [(4, 120_000)]), ("arm64", [(5, 130_000)])]);
        await Copy($"oci:{_layout.Directory}:app", $"docker://{wharf.HostPort}/team/app:1.0");
        await Copy("--all", $"oci:{_layout.Directory}:multi", $"docker://{wharf.HostPort}/team/multi:2");

        Assert.Equal(image.ManifestDigest, await DigestOfAsync($"docker://{wharf.HostPort}/team/app:1.0"));
        Assert.Equal(indexDigest, await DigestOfAsync($"docker://{wharf.HostPort}/team/multi:2"));
        // The bytes live in the store under distribution's keys.
        var keys = await _store.KeysAsync("docker/registry/v2/blobs/");
        foreach (var blob in image.Layers.Append(image.Config)) Assert.Contains(BlobKey(blob.Digest), keys);

        var pulled = _temp.Combine("pulled");
        await Copy($"docker://{wharf.HostPort}/team/app:1.0", $"oci:{pulled}:app");
        await Copy("--all", $"docker://{wharf.HostPort}/team/multi:2", $"oci:{pulled}:multi");
        foreach (var blob in image.Layers.Append(image.Config).Concat(platforms.SelectMany(p => p.Layers.Append(p.Config))))
        {
            var file = Path.Combine(pulled, "blobs", "sha256", blob.Digest[7..]);
            Assert.Equal(blob.Digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))));
        }

        // A blob GET answers 307 to a signed URL of the store, and the client follows it there.
        using var http = new RegistryHttp(wharf.HostPort);
        var layer = image.Layers[1];
        using var response = await http.Client.GetAsync($"/v2/team/app/blobs/{layer.Digest}");
        response.EnsureSuccessStatusCode();
        Assert.Equal(_store.Port, response.RequestMessage!.RequestUri!.Port);
        Assert.Equal(layer.Digest, RegistryHttp.Sha256(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Garbage_collection_frees_a_deleted_images_objects_and_remaining_tags_pull()
    {
        var keep = _layout.AddImage("keep", [(10, 200_000), (11, 100_000)]);
        var drop = _layout.AddImage("drop", [(10, 200_000), (12, 150_000)]);
        string config;
        await using (var wharf = await StartWharfAsync(_store))
        {
            await Copy($"oci:{_layout.Directory}:keep", $"docker://{wharf.HostPort}/team/keep:1");
            await Copy($"oci:{_layout.Directory}:drop", $"docker://{wharf.HostPort}/team/drop:1");
            using var http = new RegistryHttp(wharf.HostPort);
            using (var deleted = await http.DeleteManifestAsync("team/drop", drop.ManifestDigest)) deleted.EnsureSuccessStatusCode();

            // Online: the command runs beside the serving Wharf, on the same store and metadata database.
            config = wharf.ConfigFile!;
            var environment = StateEnvironment("wharf");
            environment["Wharf__GarbageCollection__GracePeriod"] = "00:00:00";
            var gc = await ExternalTool.RunAsync("dotnet", [RepositoryRoot.WharfDll(), "garbage-collect", config], environment: environment);
            Assert.True(gc.ExitCode == 0, gc.All);

            var keys = await _store.KeysAsync("docker/registry/v2/blobs/");
            Assert.DoesNotContain(BlobKey(drop.Layers[1].Digest), keys);
            Assert.DoesNotContain(BlobKey(drop.ManifestDigest), keys);
            Assert.Contains(BlobKey(keep.Layers[0].Digest), keys); // shared with the kept image
            Assert.Contains(BlobKey(keep.Layers[1].Digest), keys);
            Assert.Contains(BlobKey(keep.ManifestDigest), keys);

            await Copy($"docker://{wharf.HostPort}/team/keep:1", $"oci:{_temp.Combine("after-gc")}:keep");
            Assert.Equal(keep.ManifestDigest, await DigestOfAsync($"docker://{wharf.HostPort}/team/keep:1"));
        }
    }

    /// <summary>Bytes <paramref name="start"/> to <paramref name="end"/> (exclusive) of the pattern, as one chunk.</summary>
    private static StreamContent Chunk(int seed, long start, long end)
    {
        var content = new StreamContent(new PatternStream(end, seed, start: start), 256 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = end - start;
        content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{end - 1}");
        return content;
    }

    /// <summary>The blob is served whole (through the store's redirect) and hashes to its digest.</summary>
    private static async Task AssertBlobServedAsync(RegistryHttp http, string repository, string digest, long length)
    {
        using var response = await http.Client.GetAsync($"/v2/{repository}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(body)));
        Assert.Equal(length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task A_chunked_upload_resumes_after_a_restart()
    {
        const long length = (13L << 20) + 4321;
        var digest = PatternStream.DigestOf(length, seed: 3);
        await using var wharf = await StartWharfAsync(_store);
        using var http = new RegistryHttp(wharf.HostPort);
        var location = await http.StartUploadAsync("team/resumed");
        const long first = 6L << 20;
        using (var patch = await http.Client.PatchAsync(location, Chunk(3, 0, first)))
            Assert.Equal(202, (int)patch.StatusCode);

        // The real process goes away between two PATCHes and a new one takes the session up from the database and
        // the store.
        await wharf.KillAsync();
        await wharf.StartAsync();

        using (var status = await http.Client.GetAsync(location))
        {
            Assert.Equal(204, (int)status.StatusCode);
            Assert.Equal($"0-{first - 1}", status.Headers.GetValues("Range").Single());
        }
        using var second = await http.Client.PatchAsync(location, Chunk(3, first, length));
        Assert.Equal(202, (int)second.StatusCode);
        using (var put = await http.Client.PutAsync($"{second.Headers.Location}?digest={digest}", null))
            Assert.Equal(201, (int)put.StatusCode);
        Assert.Contains(BlobKey(digest), await _store.KeysAsync("docker/registry/v2/blobs/"));
        await AssertBlobServedAsync(http, "team/resumed", digest, length);
    }

    [Fact]
    public async Task Kill_during_a_large_upload_serves_nothing_partial_the_upload_resumes_and_purging_finds_what_the_crash_left()
    {
        const long length = 192L << 20;
        var digest = PatternStream.DigestOf(length);
        var wharf = await StartWharfAsync(_store);
        await using (wharf)
        {
            using var http = new RegistryHttp(wharf.HostPort);
            var location = await http.StartUploadAsync("big/upload");

            var killed = new TaskCompletionSource();
            var killer = Task.Run(async () =>
            {
                await killed.Task;
                await wharf.KillAsync();
            });
            // A streamed PATCH is staged in parts of 64 MiB, each a multipart put of its own: 96 MiB is inside the second.
            var stream = new PatternStream(length, progress: sent => { if (sent > 96L << 20) killed.TrySetResult(); });
            using var content = new StreamContent(stream, 256 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
            patch.Headers.TransferEncodingChunked = true;
            await Assert.ThrowsAnyAsync<Exception>(() => http.Client.SendAsync(patch));
            await killer;
            // The put the kill interrupted is recorded in the store, where purging will find it.
            Assert.NotEmpty(await _store.KeysAsync("docker/registry/v2/_wharf/writes/"));

            await wharf.StartAsync();
            using (var head = await http.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/big/upload/blobs/{digest}")))
                Assert.Equal(404, (int)head.StatusCode);
            using (var get = await http.Client.GetAsync($"/v2/big/upload/blobs/{digest}"))
                Assert.Equal(404, (int)get.StatusCode);
            Assert.DoesNotContain(BlobKey(digest), await _store.KeysAsync("docker/registry/v2/blobs/"));

            // The session reports what it durably holds, and the client resumes from there.
            using var status = await http.Client.GetAsync(location);
            Assert.Equal(204, (int)status.StatusCode);
            var held = long.Parse(status.Headers.GetValues("Range").Single().Split('-')[1]) + 1;
            Assert.InRange(held, 1, length);
            using var resumed = await http.Client.PatchAsync(location, Chunk(7, held, length));
            Assert.Equal(202, (int)resumed.StatusCode);
            using (var put = await http.Client.PutAsync($"{resumed.Headers.Location}?digest={digest}", null))
                Assert.Equal(201, (int)put.StatusCode);
            await AssertBlobServedAsync(http, "big/upload", digest, length);
            await wharf.KillAsync();

            // With a purge age that makes the interrupted put due, the next purge removes what it staged (and,
            // on s3rver, which cannot abort a multipart upload, says so once).
            wharf.Environment["REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE"] = "1s";
            // Purging runs once per period across instances, and the first start claimed the current one.
            wharf.Environment["Wharf__Uploads__AbandonedCheckInterval"] = "00:00:01";
            await wharf.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            // The refusal is logged once the purge has gone through every record.
            while ((await _store.KeysAsync("docker/registry/v2/_wharf/writes/")).Count > 0
                   || (_store is S3Store && !wharf.Log.Contains("does not implement AbortMultipartUpload")))
                await Task.Delay(100, timeout.Token);
            await AssertBlobServedAsync(http, "big/upload", digest, length);
        }
    }

    [Fact]
    public async Task A_bucket_written_by_registry2_is_imported_and_served_with_the_same_digests()
    {
        ExternalTool.Require("docker-registry");
        var root = _temp.Combine("registry2-data");
        _layout.AddImage("web", [(20, 200_000), (21, 300_000)]);
        _layout.AddIndex("multi", [("amd64", [(22, 90_000)]), ("arm64", [(23, 90_000)])]);
        var expected = new Dictionary<string, string>();
        await using (var distribution = await DistributionRegistry.StartAsync(root, _temp.Path))
        {
            foreach (var (source, target, flags) in new[] { ("web", "shop/web:1.0", ""), ("web", "shop/web:latest", ""), ("multi", "base/multi:3", "--all") })
            {
                await ExternalTool.SkopeoOkAsync(["copy", "--dest-tls-verify=false", .. flags.Length > 0 ? new[] { flags } : [],
                    $"oci:{_layout.Directory}:{source}", $"docker://{distribution.HostPort}/{target}"]);
                expected[target] = await DigestOfAsync($"docker://{distribution.HostPort}/{target}");
            }
        }

        // The tree goes into the bucket as it is: the keys distribution's s3 and azure drivers write.
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            await _store.PutAsync(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), file);

        await using var wharf = await StartWharfAsync(_store, "imported");
        Assert.Contains("Import of the distribution data directory done: 2 repositories", wharf.Log);
        foreach (var (reference, digest) in expected)
        {
            Assert.Equal(digest, await DigestOfAsync($"docker://{wharf.HostPort}/{reference}"));
            await Copy("--all", $"docker://{wharf.HostPort}/{reference}", $"oci:{_temp.Combine("pulled-" + reference.Replace('/', '_').Replace(':', '_'))}:x");
        }
        using var http = new RegistryHttp(wharf.HostPort);
        Assert.Equal(["base/multi", "shop/web"], await http.CatalogAsync());
    }
}

public sealed class S3StorageTests : ObjectStorageTests
{
    protected override async Task<ObjectStore> CreateStoreAsync() => await S3Store.StartAsync();
}

public sealed class AzureStorageTests : ObjectStorageTests
{
    protected override async Task<ObjectStore> CreateStoreAsync() => await AzureStore.StartAsync();
}
