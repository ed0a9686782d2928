using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Wharf.Registry.Content;

namespace Wharf.Registry.Proxy;

/// <summary>What a manifest HEAD told: the digest a tag points at now (null when the upstream did not say).</summary>
public sealed record UpstreamManifestHead(Digest? Digest, string? MediaType, long? Size);

/// <summary>A manifest fetched from an upstream, its digest checked.</summary>
public sealed record UpstreamManifest(byte[] Content, string? MediaType, Digest Digest);

/// <summary>
/// The registry API of one upstream, as the cache needs it: manifests and blobs by HEAD and GET, and a check of the
/// connection. Authentication (<see cref="UpstreamAuthenticator"/>) is applied to every call, with one retry after a
/// 401. Every failure is an <see cref="UpstreamException"/> whose message names the upstream and never a password.
/// </summary>
public sealed partial class UpstreamClient
{
    private static readonly string[] ManifestTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    /// <summary>For HEADs, manifests and token requests; blob bodies are covered by an idle timeout instead.</summary>
    internal TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a timeout, how long a cached manifest is served without asking (an unreachable host costs a
    /// connect timeout per attempt; a refused connection costs nothing and sets no back-off).</summary>
    public static readonly TimeSpan TimeoutBackOff = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _clock;
    private long _backOffUntilTicks;

    private readonly HttpClient _http;
    private readonly UpstreamStatistics _statistics;
    private readonly ILogger _logger;

    public UpstreamClient(UpstreamDefinition upstream, HttpClient http, UpstreamStatistics statistics, TimeProvider clock, ILogger logger)
    {
        Upstream = upstream;
        _http = http;
        _statistics = statistics;
        _logger = logger;
        _clock = clock;
        Authenticator = new UpstreamAuthenticator(upstream, http, clock);
    }

    /// <summary>
    /// Whether the upstream timed out a moment ago: then a cached manifest is served without asking it again until
    /// <see cref="TimeoutBackOff"/> has passed. Content that is not cached is still fetched.
    /// </summary>
    public bool IsBackingOff => _clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _backOffUntilTicks);

    public UpstreamDefinition Upstream { get; }

    public UpstreamAuthenticator Authenticator { get; }

    private string Name => Upstream.Name;
    private string Where => $"upstream '{Upstream.Name}' ({Upstream.Url.GetLeftPart(UriPartial.Authority)})";

    /// <summary>Asks which manifest a tag (or digest) names now, without a GET (a HEAD does not count against Docker Hub's pull limit).</summary>
    /// <returns>Null when the upstream does not have it.</returns>
    public async Task<UpstreamManifestHead?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, $"v2/{repository}/manifests/{reference}", repository, acceptManifests: true, RequestTimeout, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken);
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var d) ? d : null;
        return new UpstreamManifestHead(digest, response.Content.Headers.ContentType?.MediaType, response.Content.Headers.ContentLength);
    }

    /// <summary>Fetches a manifest and checks its digest (against the reference when it is one, and against the digest the upstream claims).</summary>
    /// <returns>Null when the upstream does not have it.</returns>
    public async Task<UpstreamManifest?> GetManifestAsync(string repository, string reference, int maxBytes, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"v2/{repository}/manifests/{reference}", repository, acceptManifests: true, RequestTimeout, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken);
        if (response.Content.Headers.ContentLength > maxBytes)
            throw Invalid($"sent a manifest {repository}:{reference} larger than the {maxBytes} byte limit");

        byte[] content;
        try
        {
            content = await ReadBoundedAsync(response.Content, maxBytes, $"manifest {repository}:{reference}", cancellationToken);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw Record(new UpstreamException(UpstreamFailure.Unavailable, $"{Where} broke off sending manifest {repository}:{reference}: {e.Message}", e));
        }
        catch (UpstreamException e)
        {
            throw Invalid(e.Message);
        }
        _statistics.Fetched(Name, content.Length);
        var claimed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var c) ? c : null;
        var requested = Digest.TryParse(reference, out var r) ? r : null;
        var algorithm = requested?.Algorithm ?? claimed?.Algorithm ?? "sha256";
        var actual = Digest.Compute(algorithm, content);
        if (requested is { } expected && actual != expected)
            throw Invalid($"sent content with digest {actual} for manifest {repository}@{expected}");
        if (claimed is { } said && said.Algorithm == algorithm && said != actual)
            throw Invalid($"sent manifest {repository}:{reference} with digest {actual} but said {said}");
        return new UpstreamManifest(content, response.Content.Headers.ContentType?.MediaType, actual);
    }

    /// <returns>The blob's size, or null when the upstream does not have it.</returns>
    public async Task<long?> HeadBlobAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, $"v2/{repository}/blobs/{digest}", repository, acceptManifests: false, RequestTimeout, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, $"blob {repository}@{digest}", cancellationToken);
        return response.Content.Headers.ContentLength
            ?? throw Invalid($"answered HEAD for blob {repository}@{digest} without a Content-Length");
    }

    /// <summary>Starts a blob GET; the caller reads the body and disposes the response.</summary>
    /// <returns>Null when the upstream does not have the blob.</returns>
    public async Task<HttpResponseMessage?> GetBlobAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, $"v2/{repository}/blobs/{digest}", repository, acceptManifests: false, RequestTimeout, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            await EnsureSuccessAsync(response, $"blob {repository}@{digest}", cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Checks that the upstream answers and accepts Wharf's credentials (the portal's "test connection").</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "v2/", null, acceptManifests: false, RequestTimeout, cancellationToken);
        await EnsureSuccessAsync(response, "the base endpoint /v2/", cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? repository, bool acceptManifests,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var scope = repository is null ? null : $"repository:{repository}:pull";
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(Upstream.Url, path));
            if (acceptManifests)
            {
                foreach (var type in ManifestTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }
            AuthenticationHeaderValue? sent;
            try
            {
                sent = await Authenticator.HeaderAsync(scope, cancellationToken);
            }
            catch (UpstreamException e)
            {
                throw Record(e);
            }
            request.Headers.Authorization = sent;

            HttpResponseMessage response;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(timeout);
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is OperationCanceledException || e.InnerException is TimeoutException))
                {
                    Interlocked.Exchange(ref _backOffUntilTicks, (_clock.GetUtcNow() + TimeoutBackOff).UtcTicks);
                    throw Record(new UpstreamException(UpstreamFailure.Unavailable, $"{Where} did not answer in time: {e.Message}", e), reachable: false);
                }
                catch (HttpRequestException e)
                {
                    throw Record(new UpstreamException(UpstreamFailure.Unavailable, $"{Where} is unreachable: {e.Message}", e), reachable: false);
                }
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
                response.Dispose();
                try
                {
                    if (await Authenticator.OnChallengeAsync(challenge, scope, sent, cancellationToken)) continue;
                }
                catch (UpstreamException e)
                {
                    throw Record(e);
                }
                throw Record(new UpstreamException(UpstreamFailure.Unauthorized, UnauthorizedMessage(challenge)));
            }
            if ((int)response.StatusCode < 500) _statistics.Answered(Name);
            return response;
        }
    }

    private string UnauthorizedMessage(AuthChallenge? challenge)
    {
        if (!Upstream.HasCredentials) return $"{Where} requires credentials and none are configured for it";
        if (challenge is { IsBasic: false, IsBearer: false }) return $"{Where} asks for unsupported authentication '{challenge.Scheme}'";
        return $"{Where} rejected the credentials configured for user '{Upstream.Username}'";
    }

    /// <summary>Turns an unsuccessful answer into an <see cref="UpstreamException"/> that says what the upstream said.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        var said = await ErrorMessageAsync(response, cancellationToken);
        var detail = $"{status} {response.ReasonPhrase}{(said is null ? "" : ": " + said)}";
        var failure = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new UpstreamException(UpstreamFailure.Unauthorized,
                $"{UnauthorizedMessage(AuthChallenge.From(response.Headers.WwwAuthenticate))} ({what}: {detail})"),
            HttpStatusCode.TooManyRequests => new UpstreamException(UpstreamFailure.TooManyRequests, $"{Where} is rate-limiting pulls ({what}: {detail})"),
            _ when status >= 500 => new UpstreamException(UpstreamFailure.Unavailable, $"{Where} failed ({what}: {detail})"),
            _ => new UpstreamException(UpstreamFailure.Invalid, $"{Where} answered {detail} for {what}"),
        };
        throw Record(failure, reachable: status < 500);
    }

    /// <summary>The first message of a registry error body, if the upstream sent one (bodies are read up to 8 KiB).</summary>
    private static async Task<string?> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await ReadBoundedAsync(response.Content, 8192, "error", cancellationToken);
            using var json = JsonDocument.Parse(bytes);
            var first = json.RootElement.GetProperty("errors")[0];
            var code = first.TryGetProperty("code", out var c) ? c.GetString() : null;
            var message = first.TryGetProperty("message", out var m) ? m.GetString() : null;
            return string.Join(" ", new[] { code, message }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or UpstreamException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int maxBytes, string what, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new UpstreamException(UpstreamFailure.Invalid, $"sent a {what} larger than the {maxBytes} byte limit");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private UpstreamException Invalid(string message) => Record(new UpstreamException(UpstreamFailure.Invalid, $"{Where} {message}"));

    private UpstreamException Record(UpstreamException e, bool reachable = true)
    {
        _statistics.Failed(Name, e.Message, reachable && e.Failure is not UpstreamFailure.Unavailable);
        LogFailure(_logger, Name, e.Message);
        return e;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Upstream}: {Message}")]
    private static partial void LogFailure(ILogger logger, string upstream, string message);
}
