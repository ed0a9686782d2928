using System.Security.Cryptography.X509Certificates;
using Wharf.Tests.E2E.Infrastructure;
using Xunit;

namespace Wharf.Tests.E2E;

/// <summary>http.tls.clientcas with curl as the client: no certificate, no connection; a certificate from the CA, an answer.</summary>
public sealed class MutualTlsTests
{
    private static async Task OpenSslAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("openssl", arguments);
        Assert.True(result.ExitCode == 0, result.All);
    }

    [Fact]
    public async Task A_client_without_a_certificate_from_the_configured_CA_is_refused()
    {
        ExternalTool.Require("curl");
        using var dir = new TempDirectory();
        string F(string name) => dir.Combine(name);
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
            "-keyout", F("ca.key"), "-out", F("ca.pem"));
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", F("server.key"), "-out", F("server.pem"));
        await File.WriteAllTextAsync(F("client.ext"), "extendedKeyUsage=clientAuth\n");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=ci", "-keyout", F("client.key"), "-out", F("client.csr"));
        await OpenSslAsync("x509", "-req", "-in", F("client.csr"), "-CA", F("ca.pem"), "-CAkey", F("ca.key"), "-CAcreateserial", "-days", "2",
            "-extfile", F("client.ext"), "-out", F("client.pem"));
        // A certificate from another CA does not open it either.
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=stranger",
            "-keyout", F("stranger.key"), "-out", F("stranger.pem"));

        await using var wharf = new WharfProcess(dir.Combine("data"), new Dictionary<string, string>
        {
            ["REGISTRY_HTTP_TLS_CERTIFICATE"] = F("server.pem"),
            ["REGISTRY_HTTP_TLS_KEY"] = F("server.key"),
            ["REGISTRY_HTTP_TLS_CLIENTCAS_0"] = F("ca.pem"),
        }) { ClientCertificate = X509Certificate2.CreateFromPemFile(F("client.pem"), F("client.key")) };
        await wharf.StartAsync();

        var url = $"https://{wharf.HostPort}/v2/";
        var without = await ExternalTool.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", F("server.pem"), url]);
        Assert.NotEqual(0, without.ExitCode);
        Assert.DoesNotContain("401", without.Output);

        var stranger = await ExternalTool.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", F("server.pem"),
            "--cert", F("stranger.pem"), "--key", F("stranger.key"), url]);
        Assert.NotEqual(0, stranger.ExitCode);

        var with = await ExternalTool.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", F("server.pem"),
            "--cert", F("client.pem"), "--key", F("client.key"), url]);
        Assert.True(with.ExitCode == 0, with.All);
        Assert.Equal("401", with.Output); // through TLS; now the registry asks for credentials, as it should
    }
}
