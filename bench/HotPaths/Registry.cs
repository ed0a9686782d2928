using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wharf.Bench.HotPaths;

/// <summary>
/// One registry under test as the clients see it: where it listens, its process (for memory and CPU), and how to
/// get an <c>Authorization</c> header for a scope: a bearer token from the token endpoint its <c>/v2/</c> challenge
/// names (Wharf, as it ships), or nothing (the reference, open).
/// </summary>
public sealed class Registry(string name, string hostPort, int pid, (string User, string Password)? login) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(2) };
    private AuthenticationHeaderValue? _challenge;
    private bool _asked;

    public string Name { get; } = name;
    public string HostPort { get; } = hostPort;
    public string BaseUrl => $"http://{HostPort}";
    public int Pid { get; } = pid;
    public (string User, string Password)? Login { get; } = login;
    public int TokenRequests;

    public string BasicCredentials => Login is { } l ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{l.User}:{l.Password}")) : "";

    /// <summary>"Bearer ..." for these scopes (e.g. <c>repository:a/b:pull</c>), or null when the registry asks for no credentials.</summary>
    public async Task<string?> AuthorizationAsync(params string[] scopes)
    {
        if (!_asked)
        {
            using var ping = await _http.GetAsync($"{BaseUrl}/v2/");
            _challenge = ping.StatusCode == HttpStatusCode.Unauthorized ? ping.Headers.WwwAuthenticate.FirstOrDefault() : null;
            _asked = true;
        }
        if (_challenge is null || Login is null) return null;
        var realm = Parameter(_challenge.Parameter, "realm") ?? throw new InvalidOperationException($"{Name}: challenge without a realm");
        var service = Parameter(_challenge.Parameter, "service") ?? "";
        var url = $"{realm}?service={Uri.EscapeDataString(service)}" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Authorization = new AuthenticationHeaderValue("Basic", BasicCredentials) } };
        using var response = await _http.SendAsync(request);
        Interlocked.Increment(ref TokenRequests);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{Name}: the token endpoint answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return "Bearer " + json.RootElement.GetProperty("token").GetString();
    }

    private static string? Parameter(string? parameters, string name)
    {
        var match = Regex.Match(parameters ?? "", $"{name}=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : null;
    }

    public void Dispose() => _http.Dispose();
}
