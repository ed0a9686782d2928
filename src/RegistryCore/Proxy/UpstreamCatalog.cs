using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Wharf.Registry.Api;
using Wharf.Registry.Content;

namespace Wharf.Registry.Proxy;

/// <summary>One upstream at run time: its definition and the client that talks to it (which holds its tokens).</summary>
public sealed class Upstream(UpstreamDefinition definition, UpstreamClient client)
{
    public UpstreamDefinition Definition { get; } = definition;
    public UpstreamClient Client { get; } = client;
    public string Name => Definition.Name;
    public override string ToString() => Definition.ToString();
}

/// <summary>A local repository that is a cache of an upstream repository.</summary>
/// <param name="LocalName">The name in Wharf ("hub/library/nginx").</param>
/// <param name="RemoteName">The name upstream ("library/nginx").</param>
public sealed record UpstreamMatch(Upstream Upstream, string LocalName, string RemoteName)
{
    public UpstreamDefinition Definition => Upstream.Definition;
    public UpstreamClient Client => Upstream.Client;
}

/// <summary>An upstream as the portal shows it: no password, with its statistics.</summary>
public sealed record UpstreamInfo(string Name, string Prefix, string Url, string? Username, bool HasPassword, TimeSpan Ttl,
    bool AllowAnonymous, UpstreamStats Statistics);

/// <summary>
/// Every upstream the cache knows, merged from all <see cref="IUpstreamSource"/>s, and the routing of repository
/// names to them: the longest matching prefix wins, an empty prefix matches everything, and containerd's
/// <c>?ns=&lt;host&gt;</c> selects an upstream by host. Rebuilt when a source signals a change; an upstream whose
/// connection settings did not change keeps its client, and so its tokens.
/// </summary>
public sealed partial class UpstreamCatalog : IDisposable
{
    private readonly IReadOnlyList<IUpstreamSource> _sources;
    private readonly HttpClient _http;
    private readonly UpstreamStatistics _statistics;
    private readonly TimeProvider _clock;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly IDisposable _subscription;
    private volatile IReadOnlyList<Upstream> _upstreams;

    public UpstreamCatalog(IEnumerable<IUpstreamSource> sources, UpstreamHttp http, UpstreamStatistics statistics, TimeProvider clock, ILoggerFactory loggers)
    {
        _sources = sources.ToList();
        _http = http.CreateClient();
        _statistics = statistics;
        _clock = clock;
        _loggers = loggers;
        _logger = loggers.CreateLogger<UpstreamCatalog>();
        // Invalid configuration fails here, at start, with the message of the entry to fix.
        _upstreams = Build([]);
        _subscription = ChangeToken.OnChange(
            () => new CompositeChangeToken(_sources.Select(s => s.GetChangeToken()).ToList()), Rebuild);
    }

    /// <summary>All upstreams, longest prefix first.</summary>
    public IReadOnlyList<Upstream> Upstreams => _upstreams;

    public bool IsEmpty => _upstreams.Count == 0;

    public Upstream? Find(string name) => _upstreams.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The upstream whose prefix holds the repository, or null for a private repository.</summary>
    public UpstreamMatch? Match(string repository)
    {
        foreach (var upstream in _upstreams)
        {
            var prefix = upstream.Definition.Prefix;
            if (prefix.Length == 0) return new UpstreamMatch(upstream, repository, RemoteName(upstream, repository));
            if (repository.Length > prefix.Length + 1 && repository[prefix.Length] == '/' && repository.StartsWith(prefix, StringComparison.Ordinal))
                return new UpstreamMatch(upstream, repository, RemoteName(upstream, repository[(prefix.Length + 1)..]));
        }
        return null;
    }

    /// <summary>
    /// The routing decision for one API request. A name outside every named prefix that comes with containerd's
    /// <c>?ns=&lt;host&gt;</c> is moved under the prefix of the upstream for that host (<c>library/nginx?ns=docker.io</c>
    /// becomes <c>hub/library/nginx</c>), so it is cached in the same place as a pull by prefix.
    /// </summary>
    public (RegistryRoute Route, UpstreamMatch? Match) Route(RegistryRoute route, string? ns)
    {
        if (route.Kind is RouteKind.Base or RouteKind.Catalog || _upstreams.Count == 0) return (route, null);
        var match = Match(route.Name);
        if (string.IsNullOrEmpty(ns) || match is { Definition.Prefix.Length: > 0 }) return (route, match);

        var byHost = _upstreams.FirstOrDefault(u => u.Definition.MatchesHost(ns));
        // A whole-namespace mirror answers whatever ns names, as registry:2 does: its upstream is often itself a
        // mirror of docker.io under another host name, and containerd sends ns=docker.io.
        if (byHost is null) return (route, match);
        var name = byHost.Definition.Prefix.Length == 0 ? route.Name : $"{byHost.Definition.Prefix}/{route.Name}";
        if (!RepositoryName.IsValid(name)) return (route, match);
        var rerouted = route with { Name = name };
        return (rerouted, Match(name));
    }

    /// <summary>The upstreams for display, passwords left out.</summary>
    public IReadOnlyList<UpstreamInfo> Describe() => _upstreams
        .OrderBy(u => u.Definition.Prefix, StringComparer.Ordinal)
        .Select(u => new UpstreamInfo(u.Name, u.Definition.Prefix, u.Definition.Url.ToString(), u.Definition.Username,
            u.Definition.Password is not null, u.Definition.Ttl, u.Definition.AllowAnonymous, _statistics.Get(u.Name)))
        .ToList();

    /// <summary>Checks that an upstream answers and accepts its credentials.</summary>
    /// <exception cref="UpstreamException">What went wrong.</exception>
    public Task CheckAsync(string name, CancellationToken cancellationToken) =>
        (Find(name) ?? throw new ArgumentException($"no upstream named '{name}'", nameof(name))).Client.CheckAsync(cancellationToken);

    /// <summary>Docker Hub keeps official images under "library/"; a one-component name means one of those.</summary>
    private static string RemoteName(Upstream upstream, string name) =>
        upstream.Definition.IsDockerHub && !name.Contains('/') ? "library/" + name : name;

    private IReadOnlyList<Upstream> Build(IReadOnlyList<Upstream> previous)
    {
        var definitions = _sources.SelectMany(s => s.GetUpstreams()).ToList();
        foreach (var group in definitions.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new InvalidDataException($"upstream name '{group.Key}' is defined {group.Count()} times; names must be unique");
        foreach (var group in definitions.GroupBy(d => d.Prefix, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new InvalidDataException(group.Key.Length == 0
                ? $"upstreams {string.Join(", ", group.Select(d => $"'{d.Name}'"))} all mirror the whole namespace (empty prefix); only one may"
                : $"upstreams {string.Join(", ", group.Select(d => $"'{d.Name}'"))} share the prefix '{group.Key}/'");
        }
        var logger = _loggers.CreateLogger<UpstreamClient>();
        return definitions
            .Select(d => previous.FirstOrDefault(p => p.Name == d.Name && p.Definition.SameConnectionAs(d)) is { } kept
                ? new Upstream(d, kept.Client)
                : new Upstream(d, new UpstreamClient(d, _http, _statistics, _clock, logger)))
            .OrderByDescending(u => u.Definition.Prefix.Length)
            .ThenBy(u => u.Definition.Prefix, StringComparer.Ordinal)
            .ToList();
    }

    private void Rebuild()
    {
        try
        {
            _upstreams = Build(_upstreams);
            LogRebuilt(_logger, _upstreams.Count);
        }
        catch (InvalidDataException e)
        {
            LogRejected(_logger, e.Message);
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream definitions changed: {Count} upstreams")]
    private static partial void LogRebuilt(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Upstream definitions changed but are invalid, keeping the previous ones: {Message}")]
    private static partial void LogRejected(ILogger logger, string message);
}
