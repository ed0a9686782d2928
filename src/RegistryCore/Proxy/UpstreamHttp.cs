using System.Net;

namespace Wharf.Registry.Proxy;

/// <summary>
/// The HTTP connection pool every upstream client shares. Registered as a singleton; a host or a test may register
/// its own (with another handler) before the engine's services are added.
/// </summary>
public sealed class UpstreamHttp : IDisposable
{
    private readonly HttpMessageHandler _handler;
    private readonly bool _ownsHandler;

    public UpstreamHttp() : this(CreateHandler(), ownsHandler: true)
    {
    }

    public UpstreamHttp(HttpMessageHandler handler, bool ownsHandler = false)
    {
        _handler = handler;
        _ownsHandler = ownsHandler;
    }

    /// <summary>
    /// Bytes must arrive exactly as stored upstream (no decompression); redirects are followed because Docker Hub
    /// and others send blobs from a CDN (.NET drops the Authorization header when it follows one).
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        UseCookies = false,
    };

    /// <summary>A client over the shared pool. Timeouts are per call (blob bodies may take long; see the callers).</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient(_handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Wharf/1.0");
        return client;
    }

    public void Dispose()
    {
        if (_ownsHandler) _handler.Dispose();
    }
}
