using Wharf.Portal.Access;
using Xunit;

namespace Wharf.Tests.Unit.Access;

/// <summary>The cache of validated bearer tokens: never past a token's expiry, and bounded.</summary>
public sealed class ValidatedTokensTests
{
    private static readonly TokenClaims Claims = new("user-1", "carol", null, null, []);

    [Fact]
    public void A_token_is_answered_until_its_expiry_and_not_after()
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = new ValidatedTokens(clock);
        cache.Add("token-a", Claims, clock.GetUtcNow().AddMinutes(5));
        Assert.Same(Claims, cache.Get("token-a"));
        Assert.Null(cache.Get("token-b"));

        clock.Now = clock.Now.AddMinutes(5).AddTicks(-1);
        Assert.Same(Claims, cache.Get("token-a"));
        clock.Now = clock.Now.AddTicks(1);
        Assert.Null(cache.Get("token-a"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void An_expired_token_is_not_added()
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = new ValidatedTokens(clock);
        cache.Add("old", Claims, clock.GetUtcNow());
        Assert.Null(cache.Get("old"));
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = new ValidatedTokens(clock, capacity: 100);
        for (var i = 0; i < 50; i++) cache.Add($"short-{i}", Claims, clock.GetUtcNow().AddSeconds(1));
        for (var i = 0; i < 50; i++) cache.Add($"long-{i}", Claims, clock.GetUtcNow().AddMinutes(5));
        clock.Now = clock.Now.AddSeconds(2);
        cache.Add("one-more", Claims, clock.GetUtcNow().AddMinutes(5)); // full: the expired ones make room
        Assert.Equal(51, cache.Count);
        Assert.NotNull(cache.Get("long-0"));
        for (var i = 0; i < 200; i++) cache.Add($"burst-{i}", Claims, clock.GetUtcNow().AddMinutes(5));
        Assert.InRange(cache.Count, 1, 100);
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
