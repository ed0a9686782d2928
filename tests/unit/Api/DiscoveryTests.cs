using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Api;

/// <summary>Content discovery: tag listing, the catalog, and the referrers API.</summary>
public sealed class DiscoveryTests : RegistryApiTest
{
    private const string Repo = "conformance/discovery";

    private async Task PushTagsAsync(string repository, params string[] tags)
    {
        var image = TestContent.Image("tags-" + repository);
        foreach (var blob in image.Blobs) await Client.PushBlobAsync(repository, blob);
        foreach (var tag in tags) await Client.PushManifestAsync(repository, tag, image.Manifest, image.MediaType);
    }

    private static async Task<List<string>> ListAsync(HttpResponseMessage response, string property)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await JsonAsync(response);
        return json.GetProperty(property).EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    // ---- tags/list ----

    [Fact]
    public async Task TagsAreListedSorted()
    {
        await PushTagsAsync(Repo, "b", "a", "e", "d", "c");
        using var response = await Client.GetAsync($"/v2/{Repo}/tags/list");
        Assert.Equal(["a", "b", "c", "d", "e"], await ListAsync(response, "tags"));
        Assert.Null(Header(response, "Link"));
        Assert.Equal(Repo, (await JsonAsync(response)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task TagsSortInByteOrder()
    {
        await PushTagsAsync(Repo, "v2", "v10", "latest", "V1", "1.0", "_x");
        Assert.Equal(["1.0", "V1", "_x", "latest", "v10", "v2"], await Client.TagsAsync(Repo));
    }

    [Fact]
    public async Task TagsArePagedWithNAndLast()
    {
        await PushTagsAsync(Repo, "b", "a", "e", "d", "c");

        using var first = await Client.GetAsync($"/v2/{Repo}/tags/list?n=2");
        Assert.Equal(["a", "b"], await ListAsync(first, "tags"));
        Assert.Equal($"</v2/{Repo}/tags/list?n=2&last=b>; rel=\"next\"", Header(first, "Link"));

        using var second = await Client.GetAsync($"/v2/{Repo}/tags/list?n=2&last=b");
        Assert.Equal(["c", "d"], await ListAsync(second, "tags"));
        Assert.Equal($"</v2/{Repo}/tags/list?n=2&last=d>; rel=\"next\"", Header(second, "Link"));

        using var third = await Client.GetAsync($"/v2/{Repo}/tags/list?n=2&last=d");
        Assert.Equal(["e"], await ListAsync(third, "tags"));
        Assert.Null(Header(third, "Link"));

        using var exact = await Client.GetAsync($"/v2/{Repo}/tags/list?n=5");
        Assert.Equal(["a", "b", "c", "d", "e"], await ListAsync(exact, "tags"));
        Assert.Null(Header(exact, "Link"));
    }

    [Fact]
    public async Task LastAloneReturnsEverythingAfterIt()
    {
        await PushTagsAsync(Repo, "test0", "test1", "test2", "test3");
        using var response = await Client.GetAsync($"/v2/{Repo}/tags/list?last=test1");
        Assert.Equal(["test2", "test3"], await ListAsync(response, "tags"));
        using var between = await Client.GetAsync($"/v2/{Repo}/tags/list?last=test1a");
        Assert.Equal(["test2", "test3"], await ListAsync(between, "tags"));
        using var past = await Client.GetAsync($"/v2/{Repo}/tags/list?last=zzz");
        Assert.Empty(await ListAsync(past, "tags"));
    }

    [Fact]
    public async Task FollowingLinkHeadersVisitsEveryTagOnce()
    {
        var tags = Enumerable.Range(0, 23).Select(i => $"tag-{i:D2}").Reverse().ToArray();
        await PushTagsAsync(Repo, tags);
        var seen = new List<string>();
        string? next = $"/v2/{Repo}/tags/list?n=5";
        while (next is not null)
        {
            using var page = await Client.GetAsync(next);
            var items = await ListAsync(page, "tags");
            Assert.InRange(items.Count, 1, 5);
            seen.AddRange(items);
            var link = Header(page, "Link");
            next = link is null ? null : link[1..link.IndexOf('>')];
        }
        Assert.Equal(tags.Order(StringComparer.Ordinal).ToList(), seen);
    }

    [Fact]
    public async Task RepositoryWithBlobsButNoTagsListsNoTags()
    {
        await Client.PushBlobAsync(Repo, TestContent.Layer("only a blob"));
        using var response = await Client.GetAsync($"/v2/{Repo}/tags/list");
        Assert.Empty(await ListAsync(response, "tags"));
        Assert.DoesNotContain(Repo, await Client.CatalogAsync());
    }

    [Fact]
    public async Task TagsOfUnknownRepositoryIs404NameUnknown()
    {
        using var response = await Client.GetAsync("/v2/no/such/repo/tags/list");
        await AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task InvalidNIs400(string n)
    {
        await PushTagsAsync(Repo, "a");
        using var tags = await Client.GetAsync($"/v2/{Repo}/tags/list?n={n}");
        await AssertErrorAsync(tags, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        using var catalog = await Client.GetAsync($"/v2/_catalog?n={n}");
        await AssertErrorAsync(catalog, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    [Fact]
    public async Task DeletedTagDisappearsFromTheListButTheRepositoryStays()
    {
        await PushTagsAsync(Repo, "keep", "drop");
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/drop");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(["keep"], await Client.TagsAsync(Repo));
        Assert.Contains(Repo, await Client.CatalogAsync());
    }

    // ---- _catalog ----

    [Fact]
    public async Task CatalogIsSortedAndPaged()
    {
        foreach (var name in new[] { "d", "b", "c/x", "a" }) await PushTagsAsync(name, "v1");

        using var all = await Client.GetAsync("/v2/_catalog");
        Assert.Equal(["a", "b", "c/x", "d"], await ListAsync(all, "repositories"));
        Assert.Null(Header(all, "Link"));

        using var first = await Client.GetAsync("/v2/_catalog?n=2");
        Assert.Equal(["a", "b"], await ListAsync(first, "repositories"));
        Assert.Equal("</v2/_catalog?n=2&last=b>; rel=\"next\"", Header(first, "Link"));

        using var second = await Client.GetAsync("/v2/_catalog?n=2&last=b");
        Assert.Equal(["c/x", "d"], await ListAsync(second, "repositories"));
        Assert.Null(Header(second, "Link"));

        using var afterC = await Client.GetAsync("/v2/_catalog?last=c/x");
        Assert.Equal(["d"], await ListAsync(afterC, "repositories"));
    }

    [Fact]
    public async Task CatalogLinkEscapesTheLastName()
    {
        foreach (var name in new[] { "ns/one", "ns/two", "ns/zzz" }) await PushTagsAsync(name, "v1");
        using var first = await Client.GetAsync("/v2/_catalog?n=1");
        Assert.Equal(["ns/one"], await ListAsync(first, "repositories"));
        var link = Header(first, "Link")!;
        Assert.Equal("</v2/_catalog?n=1&last=ns%2Fone>; rel=\"next\"", link);
        using var second = await Client.GetAsync(link[1..link.IndexOf('>')]);
        Assert.Equal(["ns/two"], await ListAsync(second, "repositories"));
    }

    [Fact]
    public async Task EmptyCatalogIsAnEmptyList()
    {
        using var response = await Client.GetAsync("/v2/_catalog");
        Assert.Empty(await ListAsync(response, "repositories"));
    }

    [Fact]
    public async Task EmptiedRepositoryDisappearsFromTheCatalogAtOnce()
    {
        var image = TestContent.Image("emptied");
        await Client.PushImageAsync("emptied", "v1", image);
        await PushTagsAsync("kept", "v1");
        Assert.Equal(["emptied", "kept"], await Client.CatalogAsync());

        using var delete = await Client.DeleteAsync($"/v2/emptied/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(["kept"], await Client.CatalogAsync());
        // The repository is still known (its blobs remain): an empty tag list, not NAME_UNKNOWN.
        Assert.Empty(await Client.TagsAsync("emptied"));

        // Pushing again brings it back.
        await Client.PushManifestAsync("emptied", "v2", image.Manifest, image.MediaType);
        Assert.Equal(["emptied", "kept"], await Client.CatalogAsync());
    }

    // ---- referrers ----

    private const string Bagel = "application/vnd.nhl.peanut.butter.bagel";
    private const string Croissant = "application/vnd.nba.strawberry.jam.croissant";
    private const string AnnotationKey = "org.opencontainers.conformance.test";

    private sealed record Referrers(TestImage Subject, TestImage AbsentSubject, TestImage AConfig, TestImage ALayer,
        TestImage Index, TestImage BConfig, TestImage BLayer, TestImage CLayer)
    {
        public IEnumerable<TestImage> OfSubject => [AConfig, ALayer, Index, BConfig, BLayer];
    }

    private static TestImage ConfigReferrer(string artifactType, byte[] blob, TestImage subject, string annotation) =>
        TestContent.Manifest(TestContent.Descriptor(artifactType, blob),
            [TestContent.Descriptor(TestContent.OciEmpty, TestContent.EmptyJson)], [blob, TestContent.EmptyJson],
            customize: m =>
            {
                m["subject"] = subject.Descriptor();
                m["annotations"] = TestContent.Annotations((AnnotationKey, annotation));
            });

    private static TestImage LayerReferrer(string artifactType, byte[] blob, TestImage subject, string? annotation) =>
        TestContent.Manifest(TestContent.Descriptor(TestContent.OciEmpty, TestContent.EmptyJson),
            [TestContent.Descriptor(artifactType, blob)], [TestContent.EmptyJson, blob],
            customize: m =>
            {
                m["artifactType"] = artifactType;
                m["subject"] = subject.Descriptor();
                if (annotation is not null) m["annotations"] = TestContent.Annotations((AnnotationKey, annotation));
            });

    /// <summary>The conformance suite's referrers setup, in its order: referrers are pushed before their subject exists.</summary>
    private async Task<Referrers> SetupReferrersAsync()
    {
        var subject = TestContent.Image("referrers-subject");
        var absent = TestContent.Image("referrers-absent");
        var blobA = TestContent.RandomBytes(64, 100);
        var blobB = TestContent.RandomBytes(64, 200);
        var aConfig = ConfigReferrer(Bagel, blobA, subject, "test config a");
        var aLayer = LayerReferrer(Bagel, blobA, subject, "test layer a");
        var index = TestContent.Index([aConfig, aLayer], customize: i =>
        {
            i["artifactType"] = "application/vnd.food.stand";
            i["subject"] = subject.Descriptor();
            i["annotations"] = TestContent.Annotations((AnnotationKey, "test index"));
        });
        var bConfig = ConfigReferrer(Croissant, blobB, subject, "test config b");
        var bLayer = LayerReferrer(Croissant, blobB, subject, "test layer b");
        var cLayer = LayerReferrer(Croissant, blobB, absent, null);

        Assert.Equal(TestContent.EmptyJsonDigest, await Client.PushBlobAsync(Repo, TestContent.EmptyJson));
        await Client.PushBlobAsync(Repo, blobA);
        foreach (var referrer in new[] { aConfig, aLayer, index })
        {
            using var put = await Client.PutManifestAsync(Repo, referrer.Digest, referrer.Manifest, referrer.MediaType);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(subject.Digest, Header(put, "OCI-Subject"));
        }
        await Client.PushImageAsync(Repo, "tagtest0", subject);
        await Client.PushBlobAsync(Repo, blobB);
        foreach (var (referrer, expectedSubject) in new[] { (bConfig, subject), (bLayer, subject), (cLayer, absent) })
        {
            using var put = await Client.PutManifestAsync(Repo, referrer.Digest, referrer.Manifest, referrer.MediaType);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(expectedSubject.Digest, Header(put, "OCI-Subject"));
        }
        return new Referrers(subject, absent, aConfig, aLayer, index, bConfig, bLayer, cLayer);
    }

    private async Task<(HttpResponseMessage Response, List<JsonElement> Manifests)> GetReferrersAsync(string repository, string digest, string? artifactType = null)
    {
        var uri = $"/v2/{repository}/referrers/{digest}" + (artifactType is null ? "" : $"?artifactType={Uri.EscapeDataString(artifactType)}");
        var response = await Client.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Compared as a string by clients: exactly the index media type, no charset.
        Assert.Equal([TestContent.OciIndex], response.Content.Headers.GetValues("Content-Type"));
        var json = await JsonAsync(response);
        Assert.Equal(2, json.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(TestContent.OciIndex, json.GetProperty("mediaType").GetString());
        var manifests = json.GetProperty("manifests");
        Assert.Equal(JsonValueKind.Array, manifests.ValueKind);
        return (response, manifests.EnumerateArray().ToList());
    }

    private static void AssertDescriptor(JsonElement descriptor, TestImage referrer, string artifactType, string? annotation)
    {
        Assert.Equal(referrer.Digest, descriptor.GetProperty("digest").GetString());
        Assert.Equal(referrer.MediaType, descriptor.GetProperty("mediaType").GetString());
        Assert.Equal(referrer.Manifest.Length, descriptor.GetProperty("size").GetInt64());
        Assert.Equal(artifactType, descriptor.GetProperty("artifactType").GetString());
        if (annotation is null)
        {
            Assert.False(descriptor.TryGetProperty("annotations", out var a) && a.EnumerateObject().Any(), "unexpected annotations");
            return;
        }
        var annotations = descriptor.GetProperty("annotations").EnumerateObject().ToList();
        var single = Assert.Single(annotations);
        Assert.Equal(AnnotationKey, single.Name);
        Assert.Equal(annotation, single.Value.GetString());
    }

    private static JsonElement Find(List<JsonElement> manifests, TestImage referrer) =>
        Assert.Single(manifests, m => m.GetProperty("digest").GetString() == referrer.Digest);

    [Fact]
    public async Task ReferrersOfADigestNothingRefersToIsAnEmptyIndex()
    {
        await SetupReferrersAsync();
        var (response, manifests) = await GetReferrersAsync(Repo, Digests.Dummy);
        using (response) Assert.Empty(manifests);
    }

    [Fact]
    public async Task ReferrersInAnUnknownRepositoryIsAnEmptyIndex()
    {
        var (response, manifests) = await GetReferrersAsync("no/such/repo", Digests.Dummy);
        using (response)
        {
            Assert.Empty(manifests);
            Assert.Contains("\"manifests\":[]", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ReferrersListsTheFiveReferrersWithTheirAnnotations()
    {
        var r = await SetupReferrersAsync();
        var (response, manifests) = await GetReferrersAsync(Repo, r.Subject.Digest);
        using (response)
        {
            Assert.Equal(5, manifests.Count);
            Assert.Null(Header(response, "OCI-Filters-Applied"));
            Assert.Equal(r.OfSubject.Select(i => i.Digest).Order().ToList(), manifests.Select(m => m.GetProperty("digest").GetString()!).Order().ToList());
            // A manifest without artifactType reports its config's media type.
            AssertDescriptor(Find(manifests, r.AConfig), r.AConfig, Bagel, "test config a");
            AssertDescriptor(Find(manifests, r.ALayer), r.ALayer, Bagel, "test layer a");
            AssertDescriptor(Find(manifests, r.Index), r.Index, "application/vnd.food.stand", "test index");
            AssertDescriptor(Find(manifests, r.BConfig), r.BConfig, Croissant, "test config b");
            AssertDescriptor(Find(manifests, r.BLayer), r.BLayer, Croissant, "test layer b");
        }
    }

    [Fact]
    public async Task ReferrersFilteredByArtifactType()
    {
        var r = await SetupReferrersAsync();
        var (response, manifests) = await GetReferrersAsync(Repo, r.Subject.Digest, Bagel);
        using (response)
        {
            Assert.Equal("artifactType", Header(response, "OCI-Filters-Applied"));
            Assert.Equal(2, manifests.Count);
            AssertDescriptor(Find(manifests, r.AConfig), r.AConfig, Bagel, "test config a");
            AssertDescriptor(Find(manifests, r.ALayer), r.ALayer, Bagel, "test layer a");
        }

        var (none, noManifests) = await GetReferrersAsync(Repo, r.Subject.Digest, "application/vnd.nothing.like.this");
        using (none)
        {
            Assert.Equal("artifactType", Header(none, "OCI-Filters-Applied"));
            Assert.Empty(noManifests);
        }
    }

    [Fact]
    public async Task ReferrersOfASubjectThatWasNeverPushed()
    {
        var r = await SetupReferrersAsync();
        var (response, manifests) = await GetReferrersAsync(Repo, r.AbsentSubject.Digest);
        using (response)
        {
            var only = Assert.Single(manifests);
            AssertDescriptor(only, r.CLayer, Croissant, null);
        }
    }

    [Fact]
    public async Task DeletedReferrerIsNoLongerListed()
    {
        var r = await SetupReferrersAsync();
        using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{r.BLayer.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        var (response, manifests) = await GetReferrersAsync(Repo, r.Subject.Digest);
        using (response)
        {
            Assert.Equal(4, manifests.Count);
            Assert.DoesNotContain(manifests, m => m.GetProperty("digest").GetString() == r.BLayer.Digest);
        }
    }

    [Fact]
    public async Task ReferrerPushedAgainIsListedOnce()
    {
        var r = await SetupReferrersAsync();
        await Client.PushManifestAsync(Repo, "signature", r.BLayer.Manifest, r.BLayer.MediaType);
        await Client.PushManifestAsync(Repo, r.BLayer.Digest, r.BLayer.Manifest, r.BLayer.MediaType);
        var (response, manifests) = await GetReferrersAsync(Repo, r.Subject.Digest);
        using (response) Assert.Equal(5, manifests.Count);
    }

    [Fact]
    public async Task ReferrersAreScopedToTheRepository()
    {
        var r = await SetupReferrersAsync();
        var (response, manifests) = await GetReferrersAsync("conformance/elsewhere", r.Subject.Digest);
        using (response) Assert.Empty(manifests);
    }

    [Fact]
    public async Task ReferrersWithAnInvalidDigestIs400()
    {
        using var response = await Client.GetAsync($"/v2/{Repo}/referrers/sha256:nothex");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task DiscoveryTeardownSucceeds()
    {
        var r = await SetupReferrersAsync();
        var image = TestContent.Image("discovery-2");
        await Client.PushImageAsync(Repo, "test0", image);

        foreach (var reference in new[] { r.Index.Digest, image.Digest, r.Subject.Digest, r.AConfig.Digest, r.ALayer.Digest, "tagtest0", r.BConfig.Digest, r.BLayer.Digest, r.CLayer.Digest })
        {
            using var delete = await Client.DeleteAsync($"/v2/{Repo}/manifests/{reference}");
            Assert.True(delete.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NotFound, $"DELETE {reference}: {(int)delete.StatusCode}");
        }
        // The discovery teardown accepts only 2xx or 405 for these two: the blobs must still be there.
        foreach (var blob in image.Blobs)
        {
            using var delete = await Client.DeleteAsync($"/v2/{Repo}/blobs/{Digests.Sha256(blob)}");
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        Assert.Empty(await Client.TagsAsync(Repo));
        Assert.DoesNotContain(Repo, await Client.CatalogAsync());
    }
}
