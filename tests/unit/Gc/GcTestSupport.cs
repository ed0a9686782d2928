using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Api.TestContent;

namespace Wharf.Tests.Unit.Gc;

/// <summary>Content, store inspection and checks the garbage collection tests share.</summary>
public static class GcTestSupport
{
    public const string NoGrace = "--Wharf:GarbageCollection:GracePeriod=00:00:00";

    /// <summary>An OCI image: a config unique to <paramref name="seed"/> over the given layers (shared when the same bytes).</summary>
    public static TestImage Image(string seed, params byte[][] layers)
    {
        var config = Config(seed);
        return Manifest(Descriptor(OciConfig, config), layers.Select(l => Descriptor(OciLayer, l)), [config, .. layers]);
    }

    /// <summary>An artifact whose <c>subject</c> is <paramref name="subject"/> (an SBOM, a signature): the empty config and one blob.</summary>
    public static TestImage Referrer(TestImage subject, byte[] payload) =>
        Manifest(Descriptor(OciEmpty, EmptyJson), [Descriptor("application/spdx+json", payload)], [EmptyJson, payload], OciManifest, root =>
        {
            root["artifactType"] = "application/spdx+json";
            root["subject"] = subject.Descriptor();
        });

    public static string ConfigDigest(TestImage image) => Digests.Sha256(image.Blobs[0]);

    public static string BlobPath(string root, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(root, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>Every blob file in the store, by digest.</summary>
    public static HashSet<string> BlobFiles(string root)
    {
        var blobs = Path.Combine(root, "docker", "registry", "v2", "blobs", "sha256");
        if (!Directory.Exists(blobs)) return [];
        return Directory.GetFiles(blobs, "data", SearchOption.AllDirectories)
            .Select(f => "sha256:" + Path.GetFileName(Path.GetDirectoryName(f)!)).ToHashSet();
    }

    public static long BlobBytes(string root) =>
        BlobFiles(root).Sum(d => new FileInfo(BlobPath(root, d)).Length);

    /// <summary>Writes a blob file straight into the store, as a crash between its rename and its database write leaves it.</summary>
    public static string WriteStrayBlob(string root, byte[] content)
    {
        var digest = Digests.Sha256(content);
        var path = BlobPath(root, digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return digest;
    }

    /// <summary>Backdates everything the grace period looks at: rows' times and blob files' modification times.</summary>
    public static async Task AgeEverythingAsync(RegistryTestHost host, TimeSpan by)
    {
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
            foreach (var blob in await db.Blobs.ToListAsync()) blob.CreatedAt -= by;
            foreach (var link in await db.RepositoryBlobs.ToListAsync()) link.LinkedAt -= by;
            foreach (var manifest in await db.Manifests.ToListAsync()) manifest.PushedAt -= by;
            await db.SaveChangesAsync();
        }
        foreach (var digest in BlobFiles(host.RootDirectory))
        {
            var path = BlobPath(host.RootDirectory, digest);
            File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path) - by);
        }
    }

    public static GarbageCollector Collector(RegistryTestHost host) => host.Services.GetRequiredService<GarbageCollector>();

    public static async Task<T> WithDbAsync<T>(RegistryTestHost host, Func<RegistryDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
    }

    /// <summary>
    /// Pulls a tag as a client would, all the way down (index, children, configs, layers), and checks every byte against
    /// its digest. Returns the blob digests it needed.
    /// </summary>
    public static async Task<HashSet<string>> PullCompletelyAsync(HttpClient client, string repository, string reference)
    {
        var needed = new HashSet<string>();
        await PullManifestAsync(client, repository, reference, needed);
        return needed;
    }

    private static async Task PullManifestAsync(HttpClient client, string repository, string reference, HashSet<string> needed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Add("Accept", $"{OciManifest}, {OciIndex}, {DockerManifest}, {DockerManifestList}");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {repository}:{reference}: {(int)response.StatusCode}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var digest = Digests.Sha256(bytes);
        if (reference.StartsWith("sha256:")) Assert.Equal(reference, digest);
        needed.Add(digest);
        using var json = JsonDocument.Parse(bytes);
        if (json.RootElement.TryGetProperty("manifests", out var children))
            foreach (var child in children.EnumerateArray())
                await PullManifestAsync(client, repository, child.GetProperty("digest").GetString()!, needed);
        var blobs = new List<string>();
        if (json.RootElement.TryGetProperty("config", out var config)) blobs.Add(config.GetProperty("digest").GetString()!);
        if (json.RootElement.TryGetProperty("layers", out var layers))
            blobs.AddRange(layers.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
        foreach (var blob in blobs)
        {
            using var blobResponse = await client.GetAsync($"/v2/{repository}/blobs/{blob}");
            Assert.True(blobResponse.StatusCode == HttpStatusCode.OK, $"GET blob {blob} of {repository}:{reference}: {(int)blobResponse.StatusCode}");
            Assert.Equal(blob, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await blobResponse.Content.ReadAsByteArrayAsync())));
            needed.Add(blob);
        }
    }

    /// <summary>The metadata and the store agree: every blob row has its file, every blob file has its row.</summary>
    public static async Task AssertStoreConsistentAsync(RegistryTestHost host)
    {
        var rows = await WithDbAsync(host, db => db.Blobs.Select(b => b.Digest).ToListAsync());
        var files = BlobFiles(host.RootDirectory);
        Assert.Empty(rows.Except(files));
        Assert.Empty(files.Except(rows));
        var links = await WithDbAsync(host, db => db.RepositoryBlobs.Select(l => l.Digest).Distinct().ToListAsync());
        Assert.Empty(links.Except(rows));
    }
}
