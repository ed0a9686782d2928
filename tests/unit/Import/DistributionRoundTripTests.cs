using Microsoft.Extensions.DependencyInjection;
using Wharf.Registry.Import;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Api.TestContent;

namespace Wharf.Tests.Unit.Import;

/// <summary>
/// The way back and forth between Wharf's metadata and distribution's link files: an export writes the links for
/// what Wharf serves and removes those for what it deleted, leaving <c>_uploads</c> alone; an import over metadata
/// that is not empty refuses unless it merges, and a merge keeps Wharf's newer state (a tag moved since, a tag
/// deleted since) while taking what the link files changed later.
/// </summary>
public sealed class DistributionRoundTripTests : IAsyncLifetime
{
    private readonly RegistryTestHost _host = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private string Repositories => Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "repositories");

    private string TagLink(string repository, string tag) => Path.Combine(Repositories, repository, "_manifests", "tags", tag, "current", "link");

    private string RevisionLink(string repository, string digest) =>
        Path.Combine(Repositories, repository, "_manifests", "revisions", "sha256", digest["sha256:".Length..], "link");

    private string LayerLink(string repository, string digest) =>
        Path.Combine(Repositories, repository, "_layers", "sha256", digest["sha256:".Length..], "link");

    private async Task<ExportReport> ExportAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DistributionExporter>().ExportAsync(CancellationToken.None);
    }

    private async Task<ImportReport> ImportAsync(bool merge)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DistributionImporter>().ImportAsync(merge, CancellationToken.None);
    }

    private static void WriteLink(string path, string digest, DateTime modifiedUtc)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, digest);
        File.SetLastWriteTimeUtc(path, modifiedUtc);
    }

    private async Task<string?> ServedDigestAsync(string repository, string tag)
    {
        using var response = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}",
            r => r.Headers.Accept.ParseAdd(OciManifest));
        return response.IsSuccessStatusCode ? RegistryClient.Header(response, "Docker-Content-Digest") : null;
    }

    [Fact]
    public async Task Export_writes_links_for_what_is_served_and_removes_links_for_what_was_deleted()
    {
        var a = Image("a");
        var b = Image("b");
        var c = Image("c");
        await _client.PushImageAsync("app", "1", a);
        await _client.PushImageAsync("app", "latest", a);
        await _client.PushImageAsync("app", "2", b);
        await _client.PushImageAsync("tool", "x", c);
        Assert.True((await _client.DeleteAsync("/v2/app/manifests/1")).IsSuccessStatusCode);
        Assert.True((await _client.DeleteAsync($"/v2/tool/manifests/{c.Digest}")).IsSuccessStatusCode);
        // What registry:2 left from before: a repository Wharf no longer has, a tag Wharf deleted, an upload in progress.
        WriteLink(TagLink("gone", "old"), a.Digest, DateTime.UtcNow);
        WriteLink(TagLink("app", "1"), a.Digest, DateTime.UtcNow);
        WriteLink(Path.Combine(Repositories, "app", "_manifests", "tags", "latest", "index", "sha256", new string('0', 64), "link"), Digests.Dummy, DateTime.UtcNow);
        var upload = Path.Combine(Repositories, "app", "_uploads", "7f0c", "data");
        Directory.CreateDirectory(Path.GetDirectoryName(upload)!);
        File.WriteAllText(upload, "half a layer");

        var report = await ExportAsync();

        Assert.Equal((1, 2, 2), (report.Repositories, report.Tags, report.Revisions));
        Assert.Equal(a.Digest, File.ReadAllText(TagLink("app", "latest")));
        Assert.Equal(b.Digest, File.ReadAllText(TagLink("app", "2")));
        Assert.True(File.Exists(Path.Combine(Repositories, "app", "_manifests", "tags", "latest", "index", "sha256", a.Digest["sha256:".Length..], "link")));
        Assert.False(Directory.Exists(Path.Combine(Repositories, "app", "_manifests", "tags", "latest", "index", "sha256", new string('0', 64))));
        Assert.False(Directory.Exists(Path.GetDirectoryName(Path.GetDirectoryName(TagLink("app", "1")))));
        Assert.Equal(a.Digest, File.ReadAllText(RevisionLink("app", a.Digest)));
        Assert.Equal(b.Digest, File.ReadAllText(RevisionLink("app", b.Digest)));
        foreach (var blob in a.Blobs.Concat(b.Blobs).Select(Digests.Sha256))
            Assert.Equal(blob, File.ReadAllText(LayerLink("app", blob)));
        // distribution lists a repository that has a _manifests directory: neither the deleted one nor the stale one has.
        Assert.False(Directory.Exists(Path.Combine(Repositories, "tool", "_manifests")));
        Assert.False(Directory.Exists(Path.Combine(Repositories, "gone")));
        Assert.Equal("half a layer", File.ReadAllText(upload));

        var again = await ExportAsync();
        Assert.Equal((0, 0), (again.Written, again.Removed));
    }

    [Fact]
    public async Task Import_over_served_metadata_refuses_without_merge_and_a_merge_keeps_newer_state()
    {
        var a = Image("a");
        var b = Image("b");
        await _client.PushImageAsync("app", "latest", a);
        await _client.PushImageAsync("app", "stable", a);
        await _client.PushImageAsync("app", "dropped", a);
        await _client.PushImageAsync("app", "b", b);
        await ExportAsync();
        var exported = File.GetLastWriteTimeUtc(Path.Combine(_host.RootDirectory, "docker", "registry", "v2", "_wharf", "distribution-sync"));

        // Since the export, in Wharf: latest moved to b, dropped deleted.
        await _client.PushManifestAsync("app", "latest", b.Manifest, b.MediaType);
        Assert.True((await _client.DeleteAsync("/v2/app/manifests/dropped")).IsSuccessStatusCode);
        // Since the export, on registry:2's side: stable moved to b and a new tag, both written later than anything in Wharf.
        var later = DateTime.UtcNow.AddHours(1);
        WriteLink(TagLink("app", "stable"), b.Digest, later);
        WriteLink(TagLink("app", "fromregistry2"), a.Digest, later);
        Assert.True(File.GetLastWriteTimeUtc(TagLink("app", "dropped")) <= exported);

        await Assert.ThrowsAsync<ImportRefusedException>(() => ImportAsync(merge: false));
        Assert.Equal(b.Digest, await ServedDigestAsync("app", "latest"));
        Assert.Null(await ServedDigestAsync("app", "fromregistry2"));

        var report = await ImportAsync(merge: true);

        Assert.Equal(b.Digest, await ServedDigestAsync("app", "latest")); // Wharf moved it after the link was written
        Assert.Null(await ServedDigestAsync("app", "dropped"));            // Wharf deleted it after the link was written
        Assert.Equal(b.Digest, await ServedDigestAsync("app", "stable"));  // the link file changed after Wharf's tag
        Assert.Equal(a.Digest, await ServedDigestAsync("app", "fromregistry2"));
        Assert.Equal(2, report.Tags);
        Assert.Equal(2, report.KeptNewer);
        Assert.Equal(["b", "fromregistry2", "latest", "stable"], await _client.TagsAsync("app"));
    }
}
