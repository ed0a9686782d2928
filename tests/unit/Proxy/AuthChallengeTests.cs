using System.Net.Http.Headers;
using Wharf.Registry.Proxy;
using Xunit;

namespace Wharf.Tests.Unit.Proxy;

public sealed class AuthChallengeTests
{
    private static AuthChallenge? Parse(params string[] values)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
        foreach (var value in values) response.Headers.TryAddWithoutValidation("WWW-Authenticate", value);
        return AuthChallenge.From(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public void Docker_Hub_bearer_challenge_gives_realm_service_and_scope()
    {
        var challenge = Parse("""Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull" """.Trim())!;
        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:library/nginx:pull", challenge.Scope);
    }

    [Fact]
    public void Distribution_insufficient_scope_challenge_keeps_commas_inside_quotes()
    {
        var challenge = Parse("""Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push",error="insufficient_scope" """.Trim())!;
        Assert.Equal("repository:a/b:pull,push", challenge.Scope);
        Assert.Equal("insufficient_scope", challenge.Error);
    }

    [Fact]
    public void Basic_challenge_and_bearer_preferred_when_both_are_offered()
    {
        Assert.True(Parse("""Basic realm="upstream-realm" """.Trim())!.IsBasic);
        Assert.True(Parse("""Basic realm="x" """.Trim(), """Bearer realm="https://t/token" """.Trim())!.IsBearer);
        Assert.Null(Parse());
    }

    [Fact]
    public void Parameters_allow_escapes_unquoted_values_and_spaces()
    {
        var parameters = AuthChallenge.ParseParameters("""realm="a \"quoted\" realm", service=plain ,  scope = "s" """);
        Assert.Equal("a \"quoted\" realm", parameters["realm"]);
        Assert.Equal("plain", parameters["service"]);
        Assert.Equal("s", parameters["scope"]);
    }
}
