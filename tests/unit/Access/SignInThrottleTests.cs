using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Accounts;
using Wharf.Portal.Data;
using Wharf.Tests.Unit.Api;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>
/// Failed authentications are throttled per account and client address, with backoff, so nobody can lock a user out
/// without their password: the right password from another address still works, at the token endpoint, with Basic
/// on /v2 and at the portal's sign-in. Successful authentications are never limited.
/// </summary>
public sealed class SignInThrottleTests
{
    private const string Attacker = "203.0.113.66";
    private const string Office = "198.51.100.7";

    /// <summary>A clock the test moves by hand; timers still run on real time (nothing here waits on one).</summary>
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Counts how often a password hash is verified (to see that unknown names cost a hash too).</summary>
    private sealed class CountingHasher : IPasswordHasher<PortalUser>
    {
        private readonly PasswordHasher<PortalUser> _inner = new();
        public int Verifications;
        public string HashPassword(PortalUser user, string password) => _inner.HashPassword(user, password);
        public PasswordVerificationResult VerifyHashedPassword(PortalUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref Verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    private static Task<RawResponse> TokenFromAsync(AccessHost host, string address, string user, string secret) =>
        host.Host.SendRawAsync("GET", "/auth/token?service=wharf&scope=repository:team/app:pull", c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
            c.Request.Headers.Authorization = AccessHost.Basic(user, secret).ToString();
        });

    [Fact]
    public async Task Wrong_passwords_from_one_address_never_lock_the_account_for_another()
    {
        var host = new AccessHost();
        await host.InitializeAsync();
        try
        {
            var statuses = new List<int>();
            for (var i = 0; i < 12; i++) statuses.Add((await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "guess-" + i)).Status);
            Assert.Equal(Enumerable.Repeat(401, 5).Concat(Enumerable.Repeat(429, 7)), statuses);

            // The guesser is refused even with the right password (it is not checked)...
            var blocked = await TokenFromAsync(host, Attacker, AccessHost.AdminUser, AccessHost.AdminPassword);
            Assert.Equal(429, blocked.Status);
            Assert.Contains("TOOMANYREQUESTS", blocked.Body);
            Assert.True(int.Parse(blocked.Headers.RetryAfter.ToString()) is > 0 and <= 30);
            // ...while the admin, from their own address, signs in: at the token endpoint and at the portal.
            Assert.Equal(200, (await TokenFromAsync(host, Office, AccessHost.AdminUser, AccessHost.AdminPassword)).Status);
            await using var scope = host.Services.CreateAsyncScope();
            var portal = await scope.ServiceProvider.GetRequiredService<PasswordVerifier>().CheckAsync(AccessHost.AdminUser, AccessHost.AdminPassword, Office, default);
            Assert.True(portal.Succeeded);

            // Refusals are audited in aggregate, not one row each; the five real failures are there one by one.
            var audit = await host.AuditAsync();
            Assert.Equal(5, audit.Count(e => e.Action == "token.refused"));
            var throttled = audit.Where(e => e.Action == SignInThrottle.AuditAction).ToList();
            Assert.InRange(throttled.Count, 1, 3);
            Assert.All(throttled, e => Assert.Equal(Attacker, e.ClientAddress));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Blocks_double_with_each_further_failure_and_an_operator_can_unlock()
    {
        var clock = new ManualClock();
        var host = new AccessHost(b => b.Services.AddSingleton<TimeProvider>(clock));
        await host.InitializeAsync();
        try
        {
            for (var i = 0; i < 5; i++) Assert.Equal(401, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong")).Status);
            Assert.Equal(429, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong")).Status);

            clock.Now += TimeSpan.FromSeconds(31);
            Assert.Equal(401, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong")).Status); // the sixth: 60 s now
            clock.Now += TimeSpan.FromSeconds(31);
            var longer = await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong");
            Assert.Equal(429, longer.Status);
            clock.Now += TimeSpan.FromSeconds(30);
            Assert.Equal(401, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong")).Status);
            Assert.Equal(429, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, AccessHost.AdminPassword)).Status);

            await using (var scope = host.Services.CreateAsyncScope())
            {
                var unlocked = await scope.ServiceProvider.GetRequiredService<UserRecovery>().UnlockAsync(UserRecovery.CommandLineActor, AccessHost.AdminUser, default);
                Assert.True(unlocked.Succeeded);
            }
            Assert.Equal(200, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, AccessHost.AdminPassword)).Status);

            // A password reset unlocks too.
            for (var i = 0; i < 6; i++) await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "wrong");
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var reset = await scope.ServiceProvider.GetRequiredService<UserRecovery>().ResetPasswordAsync(UserRecovery.CommandLineActor, AccessHost.AdminUser, "a-brand-new-password-1", default);
                Assert.True(reset.Succeeded, string.Join("; ", reset.Errors));
            }
            Assert.Equal(200, (await TokenFromAsync(host, Attacker, AccessHost.AdminUser, "a-brand-new-password-1")).Status);
            Assert.Contains(await host.AuditAsync(), e => e.Action == "user.unlock" && e.Actor == UserRecovery.CommandLineActor);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Basic_on_v2_is_throttled_per_account_and_address()
    {
        var host = new AccessHost("basic");
        await host.InitializeAsync();
        try
        {
            Task<RawResponse> V2From(string address, string secret) => host.Host.SendRawAsync("GET", "/v2/", c =>
            {
                c.Connection.RemoteIpAddress = IPAddress.Parse(address);
                c.Request.Headers.Authorization = AccessHost.Basic(AccessHost.AdminUser, secret).ToString();
            });
            for (var i = 0; i < 5; i++) Assert.Equal(401, (await V2From(Attacker, "wrong-" + i)).Status);
            var refused = await V2From(Attacker, AccessHost.AdminPassword);
            Assert.Equal(429, refused.Status);
            Assert.Contains("TOOMANYREQUESTS", refused.Body);
            Assert.False(string.IsNullOrEmpty(refused.Headers.RetryAfter.ToString()));
            Assert.Equal(200, (await V2From(Office, AccessHost.AdminPassword)).Status);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_CI_job_pulling_150_images_from_one_address_is_never_refused()
    {
        var host = new AccessHost();
        await host.InitializeAsync();
        try
        {
            await host.CreateUserAsync("ci", "ci-password-for-tests-1");
            await host.GrantAsync("", "user", "ci", RepositoryActions.Pull);
            var token = await host.CreateAccessTokenAsync("ci", RepositoryActions.Pull);
            // Every image is a token request (as docker, podman and skopeo make per repository) and a /v2 call with it.
            for (var i = 0; i < 150; i++)
            {
                var response = await host.Host.SendRawAsync("GET", $"/auth/token?service=wharf&scope=repository:team/image-{i}:pull", c =>
                {
                    c.Connection.RemoteIpAddress = IPAddress.Parse(Office);
                    c.Request.Headers.Authorization = AccessHost.Basic("ci", token.Secret).ToString();
                });
                Assert.Equal(200, response.Status);
                var bearer = JsonDocument.Parse(response.Body).RootElement.GetProperty("token").GetString()!;
                var tags = await host.Host.SendRawAsync("GET", $"/v2/team/image-{i}/tags/list", c =>
                {
                    c.Connection.RemoteIpAddress = IPAddress.Parse(Office);
                    c.Request.Headers.Authorization = AccessHost.Bearer(bearer).ToString();
                });
                Assert.Equal(404, tags.Status); // NAME_UNKNOWN: allowed, there is just nothing there
            }
            // And with the password, as `docker login` does, a few dozen times.
            for (var i = 0; i < 30; i++) Assert.Equal(200, (await TokenFromAsync(host, Office, "ci", "ci-password-for-tests-1")).Status);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unknown_names_cost_a_password_hash_like_known_ones()
    {
        var hasher = new CountingHasher();
        var host = new AccessHost(b => b.Services.AddSingleton<IPasswordHasher<PortalUser>>(hasher));
        await host.InitializeAsync();
        try
        {
            var before = hasher.Verifications;
            Assert.Equal(401, (await TokenFromAsync(host, Office, "nobody-by-that-name", "whatever-password")).Status);
            Assert.Equal(before + 1, hasher.Verifications);
            Assert.Equal(401, (await TokenFromAsync(host, Office, AccessHost.AdminUser, "whatever-password")).Status);
            Assert.Equal(before + 2, hasher.Verifications);
            await using var scope = host.Services.CreateAsyncScope();
            var portal = await scope.ServiceProvider.GetRequiredService<PasswordVerifier>().CheckAsync("nobody-either", "x-password", Office, default);
            Assert.False(portal.Succeeded);
            Assert.Equal(before + 3, hasher.Verifications);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_change_password_form_is_throttled_like_sign_in()
    {
        var host = new AccessHost();
        await host.InitializeAsync();
        try
        {
            await host.CreateUserAsync("dev", "dev-password-for-tests-1");
            for (var i = 0; i < 5; i++)
            {
                var wrong = await host.AsUserAsync("dev", (sp, me) => sp.GetRequiredService<UserAdministration>().ChangeOwnPasswordAsync(me, "wrong-" + i, "next-password-for-tests", Attacker));
                Assert.False(wrong.Succeeded);
            }
            var throttled = await host.AsUserAsync("dev", (sp, me) => sp.GetRequiredService<UserAdministration>().ChangeOwnPasswordAsync(me, "dev-password-for-tests-1", "next-password-for-tests", Attacker));
            Assert.False(throttled.Succeeded);
            Assert.Contains("Too many wrong passwords", string.Join(" ", throttled.Errors));
            var fromElsewhere = await host.AsUserAsync("dev", (sp, me) => sp.GetRequiredService<UserAdministration>().ChangeOwnPasswordAsync(me, "dev-password-for-tests-1", "next-password-for-tests", Office));
            Assert.True(fromElsewhere.Succeeded, string.Join(" ", fromElsewhere.Errors));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
