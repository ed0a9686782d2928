using System.Net;
using System.Net.Sockets;

namespace Wharf.Tests.E2E.Infrastructure;

public static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForHttpAsync(string url, Func<bool> stillRunning, TimeSpan timeout,
        System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
    {
        // Only "does it answer": a test's self-signed certificate is fine here.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        if (clientCertificate is not null) handler.ClientCertificates.Add(clientCertificate);
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!stillRunning()) throw new InvalidOperationException($"the server for {url} exited during start-up");
            try
            {
                using var response = await client.GetAsync(url);
                return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{url} did not answer within {timeout}");
    }
}
