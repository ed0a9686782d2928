using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Portal.Access;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>auth.htpasswd as distribution has it: Basic on /v2 with bcrypt users from the file, each of whom may do everything.</summary>
public sealed class HtpasswdTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "wharf-htpasswd-" + Guid.NewGuid().ToString("N"));
    private AccessHost _wharf = null!;

    private static string Line(string user, string password) => $"{user}:{BCrypt.Net.BCrypt.HashPassword(password, 5).Replace("$2a$", "$2y$")}";

    public async Task InitializeAsync()
    {
        await File.WriteAllLinesAsync(_file, [Line("ci", "ci-password"), "# a comment", "md5user:$apr1$abc$def"]);
        _wharf = new AccessHost("", "--registry:auth:htpasswd:realm=basic-realm", "--registry:auth:htpasswd:path=" + _file);
        await _wharf.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        File.Delete(_file);
    }

    [Fact]
    public async Task A_user_of_the_file_pushes_pulls_deletes_and_lists_the_catalog()
    {
        var client = _wharf.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = AccessHost.Basic("ci", "ci-password");
        using (var root = await client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        var image = TestContent.Image("htpasswd");
        var digest = await RegistryClient.PushImageAsync(client, "team/app", "1.0", image);
        using (var pull = await client.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Contains("team/app", await client.GetStringAsync("/v2/_catalog"));
        using (var delete = await client.DeleteAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    [Fact]
    public async Task Anonymous_callers_wrong_passwords_and_portal_users_get_the_Basic_challenge()
    {
        using var anonymous = await _wharf.Client.GetAsync("/v2/team/app/tags/list");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic realm=\"basic-realm\"", string.Join(", ", anonymous.Headers.WwwAuthenticate));
        Assert.Contains("UNAUTHORIZED", await anonymous.Content.ReadAsStringAsync());

        foreach (var (user, password) in new[] { ("ci", "wrong"), ("md5user", "x"), (AccessHost.AdminUser, AccessHost.AdminPassword) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
            request.Headers.Authorization = AccessHost.Basic(user, password);
            using var response = await _wharf.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        // No token endpoint in this mode: clients are told Basic.
        using var token = await _wharf.Client.GetAsync("/v2/auth/token?service=wharf");
        Assert.NotEqual(HttpStatusCode.OK, token.StatusCode);
    }

    [Fact]
    public void The_file_is_read_again_when_it_changes()
    {
        var clock = new SteppingTime(DateTimeOffset.UtcNow);
        var file = new HtpasswdFile(_file, clock, NullLogger<HtpasswdFile>.Instance);
        Assert.True(file.Verify("ci", "ci-password"));
        Assert.False(file.Verify("new", "new-password"));

        File.WriteAllLines(_file, [Line("new", "new-password")]);
        // Within the recheck interval the file is not looked at again.
        Assert.False(file.Verify("new", "new-password"));
        clock.Advance(HtpasswdFile.RecheckInterval);
        Assert.True(file.Verify("new", "new-password"));
        Assert.False(file.Verify("ci", "ci-password"));
    }

    private sealed class SteppingTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
