using System.Collections.Concurrent;
using System.Net;

namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// A forwarding proxy in front of an upstream registry that holds back every blob GET until the test opens the
/// gate for that blob, then streams it on. A test uses it to make sure that concurrent requests for one blob, on
/// several instances, all arrive while the first fetch is still in flight, however the machine schedules them.
/// Hand-written over <see cref="HttpListener"/>: a plain forwarder is all it needs, and the gate has to sit between
/// the request and the upstream's answer, which no off-the-shelf proxy here offers.
/// </summary>
public sealed class GatedUpstreamProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, int> _blobGets = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public GatedUpstreamProxy(string upstreamUrl)
    {
        Port = Ports.Free();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _upstream = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(upstreamUrl), Timeout = Timeout.InfiniteTimeSpan };
        _loop = Task.Run(AcceptAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>GET requests for this blob digest that reached the proxy so far.</summary>
    public int BlobGets(string digest) => _blobGets.GetValueOrDefault(digest);

    /// <summary>Lets the held GETs of this blob (and all later ones) through.</summary>
    public void Open(string digest) => Gate(digest).TrySetResult();

    private TaskCompletionSource Gate(string digest) => _gates.GetOrAdd(digest, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => ForwardAsync(context));
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.PathAndQuery;
            var blob = request.HttpMethod == "GET" && path.Contains("/blobs/sha256:", StringComparison.Ordinal) ? path[(path.LastIndexOf('/') + 1)..].Split('?')[0] : null;
            if (blob is not null)
            {
                _blobGets.AddOrUpdate(blob, 1, (_, n) => n + 1);
                await Gate(blob).Task.WaitAsync(_stop.Token);
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), path);
            foreach (var name in request.Headers.AllKeys)
                if (name is not null && name != "Host" && name != "Content-Length")
                    forward.Headers.TryAddWithoutValidation(name, request.Headers.GetValues(name) ?? []);
            if (request.HasEntityBody)
            {
                forward.Content = new StreamContent(request.InputStream);
                if (request.ContentLength64 >= 0) forward.Content.Headers.ContentLength = request.ContentLength64;
                if (request.ContentType is not null) forward.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
            using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (name is "Transfer-Encoding" or "Connection" or "Keep-Alive") continue;
                if (name == "Content-Length") response.ContentLength64 = long.Parse(values.First());
                else foreach (var value in values) response.AppendHeader(name, value);
            }
            if (request.HttpMethod != "HEAD") await answer.Content.CopyToAsync(response.OutputStream, _stop.Token);
            response.Close();
        }
        catch (Exception)
        {
            // The caller or the proxy went away: nothing to answer.
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch (Exception) { }
        _upstream.Dispose();
        _stop.Dispose();
    }
}
