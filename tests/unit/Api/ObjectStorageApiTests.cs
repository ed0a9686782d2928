using System.Net;
using System.Net.Http.Headers;
using Wharf.Tests.Unit.Storage;
using Wharf.Tests.Unit.Storage.Emulators;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// The registry API on an object store (S3 against s3rver, Azure against Azurite): pushes and pulls, chunked uploads
/// continued by another instance, blob GETs redirected to signed URLs (or streamed with storage.redirect.disable),
/// HEAD and Range.
/// </summary>
public abstract class ObjectStorageApiTests
{
    protected abstract Task<string[]> StorageArgumentsAsync();

    private async Task<RegistryTestHost> StartAsync(string[] storage, bool redirect = true, string? root = null)
    {
        var host = new RegistryTestHost
        {
            StorageSettings = storage,
            Settings = redirect ? [] : ["--registry:storage:redirect:disable=true"],
            RootDirectory = root ?? Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N")),
        };
        await host.InitializeAsync();
        return host;
    }

    [Fact]
    public async Task An_image_pushed_to_the_store_pulls_back_with_its_digests_and_blob_GETs_redirect()
    {
        var host = await StartAsync(await StorageArgumentsAsync());
        try
        {
            using var client = host.CreateClient();
            var image = TestContent.Image("object-store");
            var digest = await client.PushImageAsync("team/app", "1.0", image);
            using (var manifest = await client.SendAsync(HttpMethod.Get, "/v2/team/app/manifests/1.0", r => r.Headers.Accept.ParseAdd(image.MediaType)))
            {
                Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
                Assert.Equal(digest, Header(manifest, "Docker-Content-Digest"));
                Assert.Equal(image.Manifest, await manifest.Content.ReadAsByteArrayAsync());
            }

            using var plain = new HttpClient();
            foreach (var blob in image.Blobs)
            {
                var blobDigest = Digests.Sha256(blob);
                using var head = await client.SendAsync(HttpMethod.Head, $"/v2/team/app/blobs/{blobDigest}");
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(blob.Length, head.Content.Headers.ContentLength);

                using var get = await client.GetAsync($"/v2/team/app/blobs/{blobDigest}");
                Assert.Equal(HttpStatusCode.TemporaryRedirect, get.StatusCode);
                Assert.Equal(blobDigest, Header(get, "Docker-Content-Digest"));
                var signed = get.Headers.Location!;
                Assert.True(signed.IsAbsoluteUri);
                Assert.Equal(blob, await plain.GetByteArrayAsync(signed)); // the client follows it to the store

                // Range against the signed URL, as a client that follows the redirect sends it.
                using var ranged = new HttpRequestMessage(HttpMethod.Get, signed);
                ranged.Headers.Range = new RangeHeaderValue(1, 3);
                using var part = await plain.SendAsync(ranged);
                Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
                Assert.Equal(blob[1..4], await part.Content.ReadAsByteArrayAsync());
            }
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_redirects_disabled_blobs_stream_through_Wharf_with_Range()
    {
        var host = await StartAsync(await StorageArgumentsAsync(), redirect: false);
        try
        {
            using var client = host.CreateClient();
            var blob = TestContent.RandomBytes(3 << 20, 7);
            var digest = await client.PushBlobAsync("team/big", blob);
            using (var get = await client.GetAsync($"/v2/team/big/blobs/{digest}"))
            {
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal(blob.Length, get.Content.Headers.ContentLength);
                Assert.Equal(Digests.Sha256(blob), Digests.Sha256(await get.Content.ReadAsByteArrayAsync()));
            }
            using var ranged = await client.SendAsync(HttpMethod.Get, $"/v2/team/big/blobs/{digest}", r => r.Headers.Range = new RangeHeaderValue(1_000_000, 1_000_009));
            Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
            Assert.Equal($"bytes 1000000-1000009/{blob.Length}", ranged.Content.Headers.ContentRange!.ToString());
            Assert.Equal(blob[1_000_000..1_000_010], await ranged.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_chunked_upload_started_on_one_instance_is_finished_on_another()
    {
        var storage = await StorageArgumentsAsync();
        var first = await StartAsync(storage);
        // The second instance shares the store and the metadata database, as instances behind a load balancer do (on
        // PostgreSQL, the first host's database; on SQLite, its data directory).
        var second = new RegistryTestHost
        {
            StorageSettings = storage,
            Settings = ["--Wharf:DataDirectory=" + Path.Combine(first.RootDirectory, "wharf"), .. first.Database.HostSettings],
        };
        await second.InitializeAsync();
        try
        {
            using var a = first.CreateClient();
            using var b = second.CreateClient();
            var content = TestContent.RandomBytes(700_000, 11);
            var location = await a.StartUploadAsync("team/resume");
            using (var patch = await a.SendAsync(HttpMethod.Patch, location, r =>
                   {
                       r.Content = Bytes(content[..400_000]);
                       r.Content.Headers.TryAddWithoutValidation("Content-Range", "0-399999");
                   }))
                Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);

            using (var status = await b.GetAsync(location))
            {
                Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
                Assert.Equal("0-399999", Header(status, "Range"));
            }
            using (var patch = await b.SendAsync(HttpMethod.Patch, location, r =>
                   {
                       r.Content = Bytes(content[400_000..]);
                       r.Content.Headers.TryAddWithoutValidation("Content-Range", $"400000-{content.Length - 1}");
                   }))
                Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            var digest = Digests.Sha256(content);
            using (var put = await a.PutAsync(WithQuery(location, "digest=" + digest), null))
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);

            using var head = await b.SendAsync(HttpMethod.Head, $"/v2/team/resume/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        }
        finally
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_wrong_digest_publishes_nothing_on_the_store()
    {
        var host = await StartAsync(await StorageArgumentsAsync());
        try
        {
            using var client = host.CreateClient();
            var content = TestContent.RandomBytes(100_000, 3);
            var wrong = Digests.Sha256(TestContent.RandomBytes(10, 4));
            var location = await client.StartUploadAsync("team/bad");
            using (var put = await client.PutAsync(WithQuery(location, "digest=" + wrong), Bytes(content)))
                await AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
            using var head = await client.SendAsync(HttpMethod.Head, $"/v2/team/bad/blobs/{wrong}");
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
            var stored = host.Services.GetService(typeof(Wharf.Registry.Storage.IBlobStorage)) as Wharf.Registry.Storage.IBlobStorage;
            Assert.Null(await stored!.StatAsync(Wharf.Registry.Storage.StorageLayout.BlobData(Wharf.Registry.Content.Digest.Parse(wrong)), CancellationToken.None));
            Assert.Null(await stored.StatAsync(Wharf.Registry.Storage.StorageLayout.BlobData(Wharf.Registry.Content.Digest.Parse(Digests.Sha256(content))), CancellationToken.None));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}

public sealed class S3ApiTests : ObjectStorageApiTests
{
    protected override async Task<string[]> StorageArgumentsAsync() => StorageSettingsArguments.For(await LocalS3.OptionsAsync());
}

public sealed class AzureApiTests : ObjectStorageApiTests
{
    protected override async Task<string[]> StorageArgumentsAsync() => StorageSettingsArguments.For(await LocalAzure.OptionsAsync());
}
