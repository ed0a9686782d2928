using System.Net;
using Wharf.Tests.Unit.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Hosting;

/// <summary>http.prefix, http.host, http.headers and relativeurls, through the real host.</summary>
public sealed class DistributionHttpTests
{
    private static async Task<RegistryTestHost> StartAsync(params string[] settings)
    {
        var host = new RegistryTestHost { Settings = settings };
        await host.InitializeAsync();
        return host;
    }

    [Fact]
    public async Task With_http_prefix_the_registry_answers_under_the_prefix_only_and_Locations_carry_it()
    {
        await using var wharf = await StartAsync("--registry:http:prefix=/my/registry/");
        var client = wharf.CreateClient();
        using (var root = await client.GetAsync("/my/registry/v2/")) Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        using (var outside = await client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);

        using var start = await client.PostAsync("/my/registry/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.StartsWith("/my/registry/v2/team/app/blobs/uploads/", start.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task With_http_host_Locations_and_the_token_realm_use_it_never_the_requests_Host()
    {
        await using var wharf = new AccessHost("token", "--registry:http:host=https://registry.example.com:5443", "--registry:http:relativeurls=false");
        await wharf.InitializeAsync();
        using var anonymous = await wharf.Client.GetAsync("/v2/");
        Assert.Equal("Bearer realm=\"https://registry.example.com:5443/v2/auth/token\",service=\"wharf\"", string.Join(", ", anonymous.Headers.WwwAuthenticate));

        await using var open = await StartAsync("--registry:http:host=https://registry.example.com:5443");
        using var start = await open.CreateClient().PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.StartsWith("https://registry.example.com:5443/v2/team/app/blobs/uploads/", start.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Relativeurls_false_gives_absolute_Locations_from_the_request_and_headers_are_added_to_every_response()
    {
        await using var wharf = await StartAsync("--registry:http:relativeurls=false",
            "--registry:http:headers:Strict-Transport-Security:0=max-age=63072000", "--registry:http:headers:X-Two:0=a", "--registry:http:headers:X-Two:1=b");
        var client = wharf.CreateClient();
        using var start = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.StartsWith("http://localhost/v2/team/app/blobs/uploads/", start.Headers.Location!.OriginalString);
        using var missing = await client.GetAsync("/v2/team/app/manifests/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        foreach (var response in new[] { start, missing })
        {
            Assert.Equal("max-age=63072000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
            Assert.Equal(["a", "b"], response.Headers.GetValues("X-Two"));
        }
    }
}
