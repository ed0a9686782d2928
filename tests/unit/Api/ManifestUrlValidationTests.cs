using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Wharf.Tests.Unit.Api;

/// <summary>validation.manifests.urls: a foreign layer's URLs must match allow (when set) and not deny.</summary>
public sealed class ManifestUrlValidationTests
{
    private static TestImage Foreign(string url)
    {
        var config = TestContent.Config("urls-" + url);
        var layer = TestContent.Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", TestContent.Layer("foreign " + url));
        layer["urls"] = new JsonArray(url);
        return TestContent.Manifest(TestContent.Descriptor(TestContent.OciConfig, config), [layer], [config]);
    }

    [Fact]
    public async Task Only_allowed_and_not_denied_urls_are_accepted()
    {
        await using var wharf = new RegistryTestHost
        {
            Settings = ["--registry:validation:manifests:urls:allow:0=^https?://([^/]+\\.)*example\\.com/", "--registry:validation:manifests:urls:deny:0=^https?://www\\.example\\.com/"],
        };
        await wharf.InitializeAsync();
        var client = wharf.CreateClient();

        await client.PushImageAsync("team/app", "allowed", Foreign("https://cdn.example.com/layer.tar.gz"));
        foreach (var (tag, url) in new[] { ("denied", "https://www.example.com/layer.tar.gz"), ("elsewhere", "https://other.test/layer.tar.gz"), ("ftp", "ftp://cdn.example.com/x") })
        {
            var image = Foreign(url);
            foreach (var blob in image.Blobs) await client.PushBlobAsync("team/app", blob);
            using var put = await client.PutManifestAsync("team/app", tag, image.Manifest, image.MediaType);
            Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
            var body = await put.Content.ReadAsStringAsync();
            Assert.Contains("MANIFEST_INVALID", body);
            Assert.Contains("validation.manifests.urls", body);
        }
    }
}
