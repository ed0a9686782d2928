using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// Logs plain HTTP calls in to a registry the way docker does, with the credentials <see cref="RegistryLogins"/>
/// knows for it: ask <c>/v2/</c> for the challenge once, then send a bearer token for the request's repository (or
/// Basic credentials, in basic mode). Tokens are fetched before the request, so a streamed body is never sent twice;
/// a 401 on a request without a body is retried once with a fresh token. Registries it has no login for get the
/// requests untouched.
/// </summary>
public sealed partial class RegistryAuthHandler(string hostPort) : DelegatingHandler(new HttpClientHandler())
{
    private readonly ConcurrentDictionary<string, (string Token, DateTime Expires)> _tokens = new();
    private AuthenticationHeaderValue? _challenge;
    private bool _asked;

    [GeneratedRegex("^/v2/(?<name>.+?)/(manifests|blobs|tags|referrers)/")]
    private static partial Regex RepositoryPath();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RegistryLogins.Find(hostPort) is not { } login || request.Headers.Authorization is not null)
            return await base.SendAsync(request, cancellationToken);
        var scope = Scope(request);
        request.Headers.Authorization = await AuthorizationAsync(login, scope, refresh: false, cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || request.Content is not null) return response;
        response.Dispose();
        request.Headers.Authorization = await AuthorizationAsync(login, scope, refresh: true, cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }

    private static string Scope(HttpRequestMessage request)
    {
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        if (path.StartsWith("/v2/_catalog", StringComparison.Ordinal)) return "registry:catalog:*";
        var match = RepositoryPath().Match(path);
        return match.Success ? $"repository:{match.Groups["name"].Value}:pull,push,delete" : "";
    }

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync((string User, string Password) login, string scope, bool refresh, CancellationToken cancellationToken)
    {
        if (!_asked || refresh)
        {
            using var ping = await base.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://{hostPort}/v2/"), cancellationToken);
            _challenge = ping.Headers.WwwAuthenticate.FirstOrDefault();
            _asked = true;
        }
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login.User}:{login.Password}")));
        if (_challenge is null) return null;
        if (_challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return basic;
        if (!refresh && _tokens.TryGetValue(scope, out var cached) && cached.Expires > DateTime.UtcNow) return new AuthenticationHeaderValue("Bearer", cached.Token);

        var realm = Parameter(_challenge.Parameter, "realm")!;
        var service = Parameter(_challenge.Parameter, "service");
        var url = $"{realm}?service={Uri.EscapeDataString(service ?? "")}" + (scope.Length > 0 ? "&scope=" + Uri.EscapeDataString(scope) : "");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Authorization = basic } };
        using var response = await base.SendAsync(tokenRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var token = json.RootElement.GetProperty("token").GetString()!;
        var lifetime = json.RootElement.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 60;
        _tokens[scope] = (token, DateTime.UtcNow.AddSeconds(lifetime / 2.0));
        return new AuthenticationHeaderValue("Bearer", token);
    }

    private static string? Parameter(string? parameters, string name)
    {
        var match = Regex.Match(parameters ?? "", $"{name}=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : null;
    }
}
