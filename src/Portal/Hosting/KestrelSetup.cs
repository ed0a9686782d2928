using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Wharf.Portal.Access;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Hosting;

/// <summary>The listeners: http.addr (TCP or a unix socket) with distribution's TLS settings, and http.debug.addr.</summary>
public static class KestrelSetup
{
    public static void ConfigureKestrel(this WebApplicationBuilder builder, RegistryOptions options, HttpSettings http)
    {
        var clientCas = LoadClientCas(http.ClientCas);
        var certificate = options.TlsCertificate is not null && options.TlsKey is not null
            ? X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey)
            : null;
        if (http.DrainTimeout is { } drain) builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = drain);
        var limits = ConnectionLimits.Bind(builder.Configuration);
        var access = AccessSettings.Bind(builder.Configuration);
        var perClient = new ClientConnectionLimiter(limits.ConnectionsPerClient,
            ip => access.KnownProxies.Contains(ip) || access.KnownNetworks.Any(n => n.Contains(ip)));
        // Kestrel's socket transport takes its memory pool from the container: 64 KiB blocks, not 4 KiB ones.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024; // raised per request for uploads and manifests
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            // A client that trickles a body slower than this is cut off (slowloris); a layer upload is far faster.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(10));
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;

            void Configure(ListenOptions listen)
            {
                perClient.Apply(listen);
                if (certificate is null)
                {
                    if (http.Http2Disabled) listen.Protocols = HttpProtocols.Http1;
                    return;
                }
                listen.Protocols = http.Http2Disabled ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = http.MinimumTls;
                    if (http.CipherSuites.Count > 0)
                        https.OnAuthenticate = (_, ssl) => ssl.CipherSuitesPolicy = new CipherSuitesPolicy(http.CipherSuites);
                    if (clientCas is not null)
                    {
                        // http.tls.clientcas: as distribution (RequireAndVerifyClientCert), no certificate from one of these CAs, no connection.
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (client, _, _) => IsIssuedBy(client, clientCas);
                    }
                });
            }

            if (http.UnixSocket) kestrel.ListenUnixSocket(options.HttpAddress, Configure);
            else Listen(kestrel, options.HttpAddress, Configure);
            if (http.DebugAddress is { } debug) Listen(kestrel, debug, listen => listen.Protocols = HttpProtocols.Http1);
        });
    }

    /// <summary>The port http.debug.addr listens on, so the pipeline can tell its requests apart.</summary>
    public static int? DebugPort(HttpSettings http) => http.DebugAddress is { } debug ? WharfHost.ParseAddress(debug).Port : null;

    private static void Listen(KestrelServerOptions kestrel, string addr, Action<ListenOptions> configure)
    {
        var (address, port) = WharfHost.ParseAddress(addr);
        if (address is null) kestrel.ListenAnyIP(port, configure);
        else if (address == "localhost") kestrel.ListenLocalhost(port, configure);
        else kestrel.Listen(IPAddress.Parse(address), port, configure);
    }

    private static X509Certificate2Collection? LoadClientCas(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return null;
        var cas = new X509Certificate2Collection();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new InvalidDataException($"http.tls.clientcas: {path} does not exist");
            try
            {
                cas.ImportFromPemFile(path);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new InvalidDataException($"http.tls.clientcas: {path} is not a PEM certificate file: {e.Message}");
            }
        }
        if (cas.Count == 0) throw new InvalidDataException("http.tls.clientcas: the files hold no certificate");
        return cas;
    }

    private static bool IsIssuedBy(X509Certificate2 client, X509Certificate2Collection cas)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(client);
    }
}
