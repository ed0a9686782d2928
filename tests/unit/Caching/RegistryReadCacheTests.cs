using Wharf.Registry.Caching;
using Wharf.Registry.Manifests;
using Xunit;

namespace Wharf.Tests.Unit.Caching;

/// <summary>The read cache's rules: answers per repository until it changes, bytes by digest for everyone.</summary>
public sealed class RegistryReadCacheTests
{
    private static readonly StoredManifest Manifest = new("sha256:" + new string('a', 64), "application/vnd.oci.image.manifest.v1+json", 123);

    [Fact]
    public void An_answer_is_kept_until_its_repository_changes()
    {
        using var cache = new RegistryReadCache();
        cache.SetManifest("team/app", "1.0", Manifest, cache.TokenFor("team/app"));
        cache.SetManifest("team/other", "1.0", Manifest, cache.TokenFor("team/other"));
        cache.SetBlobSize("team/app", Manifest.Digest, 123, cache.TokenFor("team/app"));
        Assert.Same(Manifest, cache.GetManifest("team/app", "1.0"));
        Assert.Equal(123, cache.GetBlobSize("team/app", Manifest.Digest));

        cache.RepositoryChanged("team/app");
        Assert.Null(cache.GetManifest("team/app", "1.0"));
        Assert.Null(cache.GetBlobSize("team/app", Manifest.Digest));
        Assert.Same(Manifest, cache.GetManifest("team/other", "1.0"));
    }

    [Fact]
    public void An_answer_read_before_a_change_is_never_stored_after_it()
    {
        using var cache = new RegistryReadCache();
        var token = cache.TokenFor("team/app"); // taken before the database read
        cache.RepositoryChanged("team/app");     // a write commits while the read is under way
        cache.SetManifest("team/app", "1.0", Manifest, token);
        Assert.Null(cache.GetManifest("team/app", "1.0"));

        cache.SetManifest("team/app", "1.0", Manifest, cache.TokenFor("team/app"));
        Assert.Same(Manifest, cache.GetManifest("team/app", "1.0"));
    }

    [Fact]
    public void Everything_changed_drops_every_repository_but_keeps_content_by_digest()
    {
        using var cache = new RegistryReadCache();
        var stale = cache.TokenFor("team/b");
        cache.SetManifest("team/a", "1.0", Manifest, cache.TokenFor("team/a"));
        cache.SetContent(Manifest.Digest, [1, 2, 3]);
        cache.EverythingChanged();
        Assert.Null(cache.GetManifest("team/a", "1.0"));
        cache.SetManifest("team/b", "1.0", Manifest, stale);
        Assert.Null(cache.GetManifest("team/b", "1.0"));
        // Content-addressed bytes are the same in every repository and never change.
        Assert.Equal([1, 2, 3], cache.GetContent(Manifest.Digest));
    }

    [Fact]
    public void Large_manifests_are_not_kept()
    {
        using var cache = new RegistryReadCache();
        cache.SetContent("sha256:" + new string('b', 64), new byte[RegistryReadCache.MaxCachedManifest + 1]);
        Assert.Null(cache.GetContent("sha256:" + new string('b', 64)));
    }
}
