using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Data;
using Wharf.Registry.Auth;
using Wharf.Tests.Unit.Api;
using Xunit;
using static Wharf.Tests.Unit.Api.RegistryClient;

namespace Wharf.Tests.Unit.Access;

/// <summary>Token authentication (the default): the challenge, the token endpoint, what tokens grant, and the 401/403 answers.</summary>
public sealed class TokenAuthTests : IAsyncLifetime
{
    private const string Password = "reader-password-12345";
    private readonly AccessHost _wharf = new();

    public Task InitializeAsync() => _wharf.InitializeAsync();
    public Task DisposeAsync() => _wharf.DisposeAsync();

    private static string Scope(string repository, string actions) => $"repository:{repository}:{actions}";

    private async Task<(string Digest, TestImage Image)> PushAsAdminAsync(string repository, string tag = "1.0")
    {
        var token = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope(repository, "pull,push"));
        using var client = _wharf.ClientWith(AccessHost.Bearer(token));
        var image = TestContent.Image(repository + tag);
        return (await client.PushImageAsync(repository, tag, image), image);
    }

    [Fact]
    public async Task The_base_endpoint_without_credentials_is_401_with_a_bearer_challenge()
    {
        using var response = await _wharf.Client.GetAsync("/v2/");
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"http://localhost/v2/auth/token\",service=\"wharf\"", Header(response, "WWW-Authenticate"));

        using var pull = await _wharf.Client.GetAsync("/v2/team/app/manifests/1.0");
        await AssertErrorAsync(pull, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"http://localhost/v2/auth/token\",service=\"wharf\",scope=\"repository:team/app:pull\"", Header(pull, "WWW-Authenticate"));
    }

    [Fact]
    public async Task The_admin_pushes_and_pulls_with_a_token_and_the_token_grants_what_was_asked()
    {
        using var response = await _wharf.RequestTokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/app", "pull,push"), "registry:catalog:*");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", Header(response, "Cache-Control"));
        var json = await JsonAsync(response);
        Assert.Equal(json.GetProperty("token").GetString(), json.GetProperty("access_token").GetString());
        Assert.Equal(300, json.GetProperty("expires_in").GetInt32());
        Assert.Equal("repository:team/app:pull,push registry:catalog:*", json.GetProperty("scope").GetString());

        var (digest, image) = await PushAsAdminAsync("team/app");
        var token = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/app", "pull"));
        using var client = _wharf.ClientWith(AccessHost.Bearer(token));
        using (var base_ = await client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, base_.StatusCode);
        using var manifest = await client.GetAsync($"/v2/team/app/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.Manifest, await manifest.Content.ReadAsByteArrayAsync());

        // The pull token does not cover a push, which the admin may do: 401 asking for a token with that scope.
        using var push = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
        await AssertErrorAsync(push, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("error=\"insufficient_scope\"", Header(push, "WWW-Authenticate"));
        Assert.Contains("scope=\"repository:team/app:pull,push\"", Header(push, "WWW-Authenticate"));
    }

    [Fact]
    public async Task After_first_start_anonymous_may_do_nothing()
    {
        await PushAsAdminAsync("team/app");
        using var response = await _wharf.RequestTokenAsync(null, null, Scope("team/app", "pull,push"), "registry:catalog:*");
        var json = await JsonAsync(response);
        Assert.Equal("", json.GetProperty("scope").GetString());
        using var client = _wharf.ClientWith(AccessHost.Bearer(json.GetProperty("token").GetString()!));
        using (var base_ = await client.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, base_.StatusCode);
        using var tags = await client.GetAsync("/v2/team/app/tags/list");
        await AssertErrorAsync(tags, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var catalog = await client.GetAsync("/v2/_catalog");
        await AssertErrorAsync(catalog, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var noToken = await _wharf.Client.GetAsync("/v2/team/app/tags/list");
        await AssertErrorAsync(noToken, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task A_pull_only_user_gets_a_pull_token_and_DENIED_on_push()
    {
        var (digest, _) = await PushAsAdminAsync("team/app");
        await _wharf.CreateUserAsync("reader", Password);
        await _wharf.GrantAsync("team", GrantSubjectKind.User, "reader", RepositoryActions.Pull);

        using var response = await _wharf.RequestTokenAsync("reader", Password, Scope("team/app", "pull,push"), Scope("other/app", "pull"), "registry:catalog:*");
        var json = await JsonAsync(response);
        Assert.Equal("repository:team/app:pull", json.GetProperty("scope").GetString());
        using var client = _wharf.ClientWith(AccessHost.Bearer(json.GetProperty("token").GetString()!));

        using (var pull = await client.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using var push = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
        var error = await AssertErrorAsync(push, HttpStatusCode.Forbidden, "DENIED");
        Assert.Contains("push", error.Message);
        using var delete = await client.DeleteAsync($"/v2/team/app/manifests/{digest}");
        await AssertErrorAsync(delete, HttpStatusCode.Forbidden, "DENIED");
        using var catalog = await client.GetAsync("/v2/_catalog");
        await AssertErrorAsync(catalog, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task Grants_match_whole_path_components_and_roles_and_every_user_count()
    {
        await _wharf.CreateUserAsync("viewer", Password);
        await _wharf.GrantAsync("team", GrantSubjectKind.Role, "Viewer", RepositoryActions.Pull | RepositoryActions.Push);
        await _wharf.GrantAsync("public", GrantSubjectKind.AnyUser, null, RepositoryActions.Pull);

        using var response = await _wharf.RequestTokenAsync("viewer", Password,
            Scope("team", "pull"), Scope("team/app", "pull,push,delete"), Scope("teamwork/app", "pull"), Scope("public/base", "pull,push"));
        var json = await JsonAsync(response);
        Assert.Equal("repository:team:pull repository:team/app:pull,push repository:public/base:pull", json.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Anonymous_pull_can_be_allowed_per_prefix_with_or_without_a_token()
    {
        var (digest, _) = await PushAsAdminAsync("public/base");
        await PushAsAdminAsync("private/app");
        await _wharf.GrantAsync("public", GrantSubjectKind.Anonymous, null, RepositoryActions.Pull);

        using (var plain = await _wharf.Client.GetAsync($"/v2/public/base/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        using (var other = await _wharf.Client.GetAsync("/v2/private/app/tags/list")) await AssertErrorAsync(other, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using (var push = await _wharf.Client.PostAsync("/v2/public/base/blobs/uploads/", null)) await AssertErrorAsync(push, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var token = await _wharf.TokenAsync(null, null, Scope("public/base", "pull,push"));
        using var client = _wharf.ClientWith(AccessHost.Bearer(token));
        using (var pull = await client.GetAsync("/v2/public/base/tags/list")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);

        // Anonymous callers may only ever be allowed to pull.
        var refused = await _wharf.AsUserAsync(AccessHost.AdminUser, (sp, admin) => sp.GetRequiredService<RepositoryGrants>()
            .CreateAsync(admin, "public", GrantSubjectKind.Anonymous, null, RepositoryActions.Push, default));
        Assert.False(refused.Succeeded);
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_audited_and_throttled_without_locking_the_account()
    {
        await _wharf.CreateUserAsync("victim", Password);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await _wharf.RequestTokenAsync("victim", "guess-" + i, Scope("team/app", "pull"));
            await AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.StartsWith("Basic realm=", Header(wrong, "WWW-Authenticate"));
            Assert.DoesNotContain("guess-", await wrong.Content.ReadAsStringAsync());
        }
        // The fifth wrong password from this address blocks this address for the account; the password is not checked.
        using (var throttled = await _wharf.RequestTokenAsync("victim", Password, Scope("team/app", "pull")))
            await AssertErrorAsync(throttled, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        using (var unknown = await _wharf.RequestTokenAsync("nobody", Password)) await AssertErrorAsync(unknown, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var audit = await _wharf.AuditAsync();
        var refusals = audit.Where(e => e.Action == "token.refused").ToList();
        Assert.Equal(6, refusals.Count);
        Assert.All(refusals, e => Assert.Equal(AuditOutcome.Failure, e.Outcome));
        Assert.Equal(5, refusals.Count(e => e.Actor == "victim" && e.Detail == "wrong password"));
        Assert.Contains(refusals, e => e.Actor == "nobody" && e.Detail == "unknown user");
        Assert.Contains(audit, e => e.Action == "auth.throttled" && e.Actor == "VICTIM");
        // The account itself is not locked.
        await using var scope = _wharf.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
        Assert.False(await users.IsLockedOutAsync((await users.FindByNameAsync("victim"))!));
    }

    [Fact]
    public async Task Access_tokens_stand_in_for_the_password_within_their_scope_until_revoked_or_expired()
    {
        var (digest, _) = await PushAsAdminAsync("team/app");
        var created = await _wharf.CreateAccessTokenAsync(AccessHost.AdminUser, RepositoryActions.Pull, "team");
        Assert.StartsWith(AccessTokens.SecretPrefix, created.Secret);

        using (var response = await _wharf.RequestTokenAsync(AccessHost.AdminUser, created.Secret, Scope("team/app", "pull,push,delete"), Scope("other/app", "pull"), "registry:catalog:*"))
            Assert.Equal("repository:team/app:pull", (await JsonAsync(response)).GetProperty("scope").GetString());
        var token = await _wharf.TokenAsync(AccessHost.AdminUser, created.Secret, Scope("team/app", "pull,push"));
        using (var client = _wharf.ClientWith(AccessHost.Bearer(token)))
        {
            using (var pull = await client.GetAsync($"/v2/team/app/manifests/{digest}")) Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
            using var push = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
            await AssertErrorAsync(push, HttpStatusCode.Forbidden, "DENIED");
        }

        // Only the hash is stored.
        await using (var scope = _wharf.Services.CreateAsyncScope())
        {
            var stored = scope.ServiceProvider.GetRequiredService<PortalDbContext>().AccessTokens.Single();
            Assert.Equal(AccessTokens.Hash(created.Secret), stored.SecretHash);
            Assert.DoesNotContain(created.Secret, JsonSerializer.Serialize(stored));
        }

        // Another user's name with this token is refused; so is the token once expired, and once revoked.
        using (var wrongUser = await _wharf.RequestTokenAsync("someone", created.Secret)) await AssertErrorAsync(wrongUser, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await _wharf.SetAccessTokenExpiryAsync(created.Token.Id, DateTime.UtcNow.AddMinutes(-1));
        using (var expired = await _wharf.RequestTokenAsync(AccessHost.AdminUser, created.Secret, Scope("team/app", "pull")))
            await AssertErrorAsync(expired, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await _wharf.SetAccessTokenExpiryAsync(created.Token.Id, DateTime.UtcNow.AddDays(1));
        using (var valid = await _wharf.RequestTokenAsync(AccessHost.AdminUser, created.Secret)) Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        var revoked = await _wharf.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<AccessTokens>().RevokeAsync(p, created.Token.Id, default));
        Assert.True(revoked.Succeeded);
        using (var after = await _wharf.RequestTokenAsync(AccessHost.AdminUser, created.Secret)) await AssertErrorAsync(after, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var audit = await _wharf.AuditAsync();
        Assert.Contains(audit, e => e.Action == "token.create" && e.Outcome == AuditOutcome.Success);
        Assert.Contains(audit, e => e.Action == "token.revoke" && e.Outcome == AuditOutcome.Success);
        Assert.Contains(audit, e => e.Action == "token.refused" && e.Detail == "unknown, expired or revoked access token");
    }

    private static readonly Wharf.Portal.Lists.ListRequest Everything = new(0, 100);

    [Fact]
    public async Task Only_the_owner_or_an_Admin_revokes_a_token_and_only_Admins_list_everyone_s()
    {
        await _wharf.CreateUserAsync("alice", Password);
        await _wharf.CreateUserAsync("mallory", Password);
        var alices = await _wharf.CreateAccessTokenAsync("alice", RepositoryActions.Pull);
        var refused = await _wharf.AsUserAsync("mallory", (sp, p) => sp.GetRequiredService<AccessTokens>().RevokeAsync(p, alices.Token.Id, default));
        Assert.False(refused.Succeeded);
        Assert.Empty((await _wharf.AsUserAsync("mallory", (sp, p) => sp.GetRequiredService<AccessTokens>().ListAllAsync(p, Everything, default))).Items);
        Assert.Empty((await _wharf.AsUserAsync("mallory", (sp, p) => sp.GetRequiredService<AccessTokens>().ListOwnAsync(p, Everything, default))).Items);
        Assert.Single((await _wharf.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<AccessTokens>().ListAllAsync(p, Everything, default))).Items);
        var own = (await _wharf.AsUserAsync("alice", (sp, p) => sp.GetRequiredService<AccessTokens>().ListOwnAsync(p, Everything, default))).Items;
        Assert.Equal("active", Assert.Single(own).State(DateTime.UtcNow));
        Assert.DoesNotContain(alices.Secret, own[0].Hint.TrimEnd('…') + "x");
        var byAdmin = await _wharf.AsUserAsync(AccessHost.AdminUser, (sp, p) => sp.GetRequiredService<AccessTokens>().RevokeAsync(p, alices.Token.Id, default));
        Assert.True(byAdmin.Succeeded);
    }

    [Fact]
    public async Task Forged_expired_and_foreign_tokens_are_401_invalid_token()
    {
        var good = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/app", "pull"));
        var parts = good.Split('.');
        var options = _wharf.Services.GetRequiredService<AccessSettings>();
        var ownKey = _wharf.Services.GetRequiredService<RegistrySigningKey>().Key;
        var admin = new RegistryIdentity("x", AccessHost.AdminUser, ["Admin"]);
        RegistryScope[] all = [new("repository", "team/app", ["*"])];

        // Signed with Wharf's own key but expired an hour ago.
        var past = new FixedTime(DateTimeOffset.UtcNow.AddHours(-1));
        var expired = new RegistryTokens(options, ownKey, past).IssueAccess(admin, all).Token;
        // Signed with another key (another Wharf's data directory).
        using var elsewhere = new TempDirectory();
        var foreign = new RegistryTokens(options, elsewhere.Path, TimeProvider.System).IssueAccess(admin, all).Token;
        // Wharf's key, but for another service.
        var otherService = new RegistryTokens(new AccessSettings { Service = "elsewhere" }, ownKey, TimeProvider.System).IssueAccess(admin, all).Token;
        var payload = JsonSerializer.Serialize(new { iss = "wharf", aud = "wharf", sub = "x", exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), access = all });
        string[] forged =
        [
            expired, foreign, otherService,
            $"{parts[0]}.{B64(payload)}.{parts[2]}",                                   // payload swapped under the old signature
            $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64(payload)}.",            // alg none
            $"{B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{B64(payload)}.{parts[2]}", // algorithm confusion
            "not-a-jwt", good + "x", "",
        ];
        foreach (var token in forged)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/team/app/tags/list");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await _wharf.Client.SendAsync(request);
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            if (token.Length > 0) Assert.Contains("error=\"invalid_token\"", Header(response, "WWW-Authenticate"));
        }
    }

    private static string B64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public async Task A_token_for_one_repository_does_not_open_another()
    {
        await PushAsAdminAsync("team/a");
        await PushAsAdminAsync("team/b");
        await _wharf.CreateUserAsync("alice", Password);
        await _wharf.GrantAsync("team/a", GrantSubjectKind.User, "alice", RepositoryActions.Pull);

        var alice = await _wharf.TokenAsync("alice", Password, Scope("team/a", "pull"));
        using var aliceClient = _wharf.ClientWith(AccessHost.Bearer(alice));
        using (var other = await aliceClient.GetAsync("/v2/team/b/tags/list")) await AssertErrorAsync(other, HttpStatusCode.Forbidden, "DENIED");

        var admin = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/a", "pull"));
        using var adminClient = _wharf.ClientWith(AccessHost.Bearer(admin));
        using var response = await adminClient.GetAsync("/v2/team/b/tags/list");
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("scope=\"repository:team/b:pull\"", Header(response, "WWW-Authenticate"));
    }

    [Fact]
    public async Task A_mount_needs_pull_on_the_source_in_the_token_else_it_is_a_plain_upload()
    {
        var image = TestContent.Image("mounted");
        var admin = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/source", "pull,push"));
        using (var client = _wharf.ClientWith(AccessHost.Bearer(admin))) await client.PushImageAsync("team/source", "1", image);
        await _wharf.CreateUserAsync("builder", Password);
        await _wharf.GrantAsync("team/target", GrantSubjectKind.User, "builder", RepositoryActions.Pull | RepositoryActions.Push);
        var layer = Digests.Sha256(image.Blobs[^1]);

        var builder = await _wharf.TokenAsync("builder", Password, Scope("team/target", "pull,push"), Scope("team/source", "pull"));
        using (var client = _wharf.ClientWith(AccessHost.Bearer(builder)))
        {
            using var mount = await client.PostAsync($"/v2/team/target/blobs/uploads/?mount={layer}&from=team/source", null);
            Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        }

        var withSource = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Scope("team/target", "pull,push"), Scope("team/source", "pull"));
        using (var client = _wharf.ClientWith(AccessHost.Bearer(withSource)))
        {
            using var mount = await client.PostAsync($"/v2/team/target/blobs/uploads/?mount={layer}&from=team/source", null);
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }
    }

    [Fact]
    public async Task The_catalog_needs_the_catalog_scope_and_the_Admin_role()
    {
        await PushAsAdminAsync("team/app");
        var token = await _wharf.TokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, "registry:catalog:*");
        using var client = _wharf.ClientWith(AccessHost.Bearer(token));
        Assert.Equal(["team/app"], await client.CatalogAsync());
    }

    [Fact]
    public async Task The_OAuth_form_issues_refresh_tokens_that_a_password_change_ends()
    {
        await _wharf.CreateUserAsync("robot", Password);
        await _wharf.GrantAsync("team", GrantSubjectKind.User, "robot", RepositoryActions.Pull);
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "robot", ["password"] = Password, ["service"] = "wharf",
            ["scope"] = "repository:team/app:pull repository:team/other:pull", ["client_id"] = "test", ["access_type"] = "offline",
        });
        using var response = await _wharf.Client.PostAsync("/auth/token", form);
        var json = await JsonAsync(response);
        Assert.Equal("repository:team/app:pull repository:team/other:pull", json.GetProperty("scope").GetString());
        var refresh = json.GetProperty("refresh_token").GetString()!;

        var refreshForm = () => new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["service"] = "wharf", ["scope"] = "repository:team/app:pull",
        });
        using (var again = await _wharf.Client.PostAsync("/auth/token", refreshForm()))
            Assert.Equal("repository:team/app:pull", (await JsonAsync(again)).GetProperty("scope").GetString());

        // A refresh token is not a bearer token, and a bearer token is not a refresh token.
        using (var misuse = _wharf.ClientWith(AccessHost.Bearer(refresh)))
        using (var response2 = await misuse.GetAsync("/v2/team/app/tags/list"))
            await AssertErrorAsync(response2, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var changed = await _wharf.AsUserAsync("robot", (sp, p) => sp.GetRequiredService<Wharf.Portal.Accounts.UserAdministration>().ChangeOwnPasswordAsync(p, Password, Password + "-new"));
        Assert.True(changed.Succeeded);
        using (var after = await _wharf.Client.PostAsync("/auth/token", refreshForm()))
            await AssertErrorAsync(after, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using (var wrongGrant = await _wharf.Client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" })))
            Assert.Equal(HttpStatusCode.BadRequest, wrongGrant.StatusCode);
    }

    [Fact]
    public async Task A_token_request_for_another_service_is_refused()
    {
        using var response = await _wharf.Client.GetAsync("/auth/token?service=registry.docker.io&scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task No_secret_appears_in_the_log_or_in_any_response()
    {
        await _wharf.CreateUserAsync("ci", Password);
        var pat = await _wharf.CreateAccessTokenAsync("ci", RepositoryActions.Pull);
        var bodies = new List<string>();
        async Task Keep(Task<HttpResponseMessage> send)
        {
            using var response = await send;
            bodies.Add(response.Headers + "\n" + response.Content.Headers + "\n" + await response.Content.ReadAsStringAsync());
        }
        await Keep(_wharf.RequestTokenAsync("ci", Password, Scope("team/app", "pull")));
        await Keep(_wharf.RequestTokenAsync("ci", Password + "-wrong", Scope("team/app", "pull")));
        await Keep(_wharf.RequestTokenAsync("ci", pat.Secret, Scope("team/app", "pull")));
        await Keep(_wharf.RequestTokenAsync("ci", pat.Secret + "-wrong"));
        await Keep(_wharf.RequestTokenAsync(AccessHost.AdminUser, AccessHost.AdminPassword, "registry:catalog:*"));
        await Keep(_wharf.Client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["grant_type"] = "password", ["username"] = "ci", ["password"] = Password + "-posted" })));
        using (var basic = _wharf.ClientWith(AccessHost.Basic("ci", Password))) await Keep(basic.GetAsync("/v2/"));

        var audit = await _wharf.AuditAsync();
        string[] secrets = [Password, Password + "-wrong", Password + "-posted", pat.Secret, AccessHost.AdminPassword];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, _wharf.Log);
            Assert.All(bodies, b => Assert.DoesNotContain(secret, b));
            Assert.All(audit, e => Assert.DoesNotContain(secret, $"{e.Actor} {e.Target} {e.Detail}"));
        }
    }
}

/// <summary>A clock that stands still at a chosen time.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
