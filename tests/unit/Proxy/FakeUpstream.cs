using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wharf.Tests.Unit.Proxy;

/// <summary>
/// A small registry on a loopback port that the pull-through cache can use as its upstream, with knobs the real
/// one lacks: Basic or Bearer authentication with revocable tokens, a failing mode, and blob bodies the test
/// controls (slow, broken, wrong). Every request is recorded.
/// </summary>
public sealed partial class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Repository, string Reference), (byte[] Content, string MediaType)> _manifests = new();
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();
    private readonly ConcurrentDictionary<string, DateTime> _tokens = new();

    /// <summary>A request as received; its status is filled in once the answer is complete.</summary>
    public sealed record Request(string Method, string Path, string? Authorization)
    {
        public int Status { get; set; }
    }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Set to require these credentials as Basic authentication.</summary>
    public (string User, string Password)? Basic { get; set; }

    /// <summary>Set to require a Bearer token from <c>/token</c>, which wants these credentials.</summary>
    public (string User, string Password)? Bearer { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The token realm named in the Bearer challenge; this upstream's own <c>/token</c> unless set.</summary>
    public string? Realm { get; set; }

    /// <summary>Answer every request with 503.</summary>
    public bool Failing { get; set; }

    /// <summary>Wait this long before answering (an upstream that hangs).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Set to hold every manifest GET (not HEAD) until this task completes.</summary>
    public Task? ManifestGetGate { get; set; }

    /// <summary>Replaces a blob's body (digest, content → the stream to send).</summary>
    public Func<string, byte[], Stream>? BlobBody { get; set; }

    public string Url { get; }

    private FakeUpstream(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<FakeUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeUpstream? self = null;
        app.Run(context => self!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeUpstream(app, address.Replace("localhost", "127.0.0.1"));
        return self;
    }

    public string HostPort => new Uri(Url).Authority;

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public string AddBlob(byte[] content)
    {
        var digest = DigestOf(content);
        _blobs[digest] = content;
        return digest;
    }

    /// <summary>Stores a manifest under its digest and, if given, a tag.</summary>
    public string AddManifest(string repository, byte[] content, string mediaType, string? tag = null)
    {
        var digest = DigestOf(content);
        _manifests[(repository, digest)] = (content, mediaType);
        if (tag is not null) _manifests[(repository, tag)] = (content, mediaType);
        return digest;
    }

    /// <summary>An OCI image of the given layers (a config is added), tagged in the repository.</summary>
    public (string Manifest, string Config, string[] Layers) AddImage(string repository, string tag, params byte[][] layers)
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(new { architecture = "amd64", os = "linux", tag, rootfs = new { type = "layers", diff_ids = Array.Empty<string>() } });
        var configDigest = AddBlob(config);
        var layerDigests = layers.Select(AddBlob).ToArray();
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = config.Length },
            layers = layers.Select((l, i) => new { mediaType = "application/vnd.oci.image.layer.v1.tar", digest = layerDigests[i], size = l.Length }),
        });
        return (AddManifest(repository, manifest, "application/vnd.oci.image.manifest.v1+json", tag), configDigest, layerDigests);
    }

    /// <summary>Invalidates every token issued so far (as an upstream does when they expire early or are revoked).</summary>
    public void RevokeTokens() => _tokens.Clear();

    public int Count(string method, string path) => Requests.Count(r => r.Method == method && r.Path == path);

    public int TokenRequests => Requests.Count(r => r.Path == "/token");

    [GeneratedRegex("^/v2/(?<name>.+)/(?<kind>manifests|blobs)/(?<ref>[^/]+)$")]
    private static partial Regex ContentPath();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        // Recorded on arrival: the caller may have all the bytes before this handler returns.
        var record = new Request(request.Method, path, request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null);
        Requests.Enqueue(record);
        try
        {
            await RouteAsync(context, path);
        }
        finally
        {
            record.Status = context.Response.StatusCode;
        }
    }

    private async Task RouteAsync(HttpContext context, string path)
    {
        var request = context.Request;
        var response = context.Response;
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, context.RequestAborted);
        if (Failing)
        {
            response.StatusCode = 503;
            return;
        }
        if (path == "/token")
        {
            if (Bearer is not { } credentials || request.Headers.Authorization.ToString() != BasicHeader(credentials))
            {
                response.StatusCode = 401;
                return;
            }
            var token = Guid.NewGuid().ToString("N");
            _tokens[token] = DateTime.UtcNow + TokenLifetime;
            await response.WriteAsJsonAsync(new { token, expires_in = (int)TokenLifetime.TotalSeconds });
            return;
        }

        var match = ContentPath().Match(path);
        var repository = match.Success ? match.Groups["name"].Value : "";
        if (!Authorized(request.Headers.Authorization.ToString()))
        {
            response.StatusCode = 401;
            response.Headers.WWWAuthenticate = Bearer is not null
                ? $"Bearer realm=\"{Realm ?? Url + "/token"}\",service=\"fake\",scope=\"repository:{repository}:pull\""
                : "Basic realm=\"fake\"";
            return;
        }
        if (path == "/v2/")
        {
            await response.WriteAsJsonAsync(new { });
            return;
        }
        if (!match.Success)
        {
            response.StatusCode = 404;
            return;
        }

        var reference = match.Groups["ref"].Value;
        var head = HttpMethods.IsHead(request.Method);
        if (match.Groups["kind"].Value == "manifests")
        {
            if (!_manifests.TryGetValue((repository, reference), out var manifest))
            {
                response.StatusCode = 404;
                return;
            }
            if (!head && ManifestGetGate is { } manifestGate) await manifestGate.WaitAsync(context.RequestAborted);
            response.ContentType = manifest.MediaType;
            response.ContentLength = manifest.Content.Length;
            response.Headers["Docker-Content-Digest"] = DigestOf(manifest.Content);
            if (!head) await response.Body.WriteAsync(manifest.Content);
            return;
        }

        if (!_blobs.TryGetValue(reference, out var blob))
        {
            response.StatusCode = 404;
            return;
        }
        response.ContentType = "application/octet-stream";
        response.ContentLength = blob.Length;
        if (head) return;
        await using var body = BlobBody?.Invoke(reference, blob) ?? new MemoryStream(blob);
        await body.CopyToAsync(response.Body, 65536, context.RequestAborted);
    }

    private bool Authorized(string header)
    {
        if (Basic is { } basic) return header == BasicHeader(basic);
        if (Bearer is not null)
        {
            return header.StartsWith("Bearer ", StringComparison.Ordinal)
                && _tokens.TryGetValue(header["Bearer ".Length..], out var expires) && expires > DateTime.UtcNow;
        }
        return true;
    }

    private static string BasicHeader((string User, string Password) credentials) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.User}:{credentials.Password}"));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A blob body that sends its first bytes, then waits for the test before sending the rest.</summary>
public sealed class GatedStream(byte[] content, int firstBytes, Task gate) : Stream
{
    private int _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= firstBytes) await gate.WaitAsync(cancellationToken);
        var limit = _position < firstBytes ? firstBytes : content.Length;
        var n = Math.Min(buffer.Length, limit - _position);
        content.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A blob body that breaks off after some bytes, as a dying upstream does.</summary>
public sealed class BrokenStream(byte[] content, int failAfter) : Stream
{
    private int _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= failAfter) throw new IOException("the upstream died");
        var n = Math.Min(count, failAfter - _position);
        Array.Copy(content, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
