namespace Wharf.Tests.E2E.Infrastructure;

/// <summary>
/// The arrange step of the tests that start from a data directory distribution 2.8 wrote (import, export, garbage
/// collection): skopeo and docker-registry checked (a missing one fails the test with the command that installs it),
/// a temporary directory with an OCI layout to add test images to, and <see cref="WriteAsync"/>, which starts
/// distribution on <see cref="Root"/>, lets the test push and delete through it, and stops it again.
/// </summary>
public sealed class DistributionWrittenDirectory : IDisposable
{
    public DistributionWrittenDirectory()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("docker-registry");
        Layout = new OciLayout(Temp.Combine("images"));
    }

    public TempDirectory Temp { get; } = new();

    /// <summary>The images the test pushes.</summary>
    public OciLayout Layout { get; }

    /// <summary>distribution's storage root: what Wharf then serves, imports or collects.</summary>
    public string Root => Temp.Combine("registry-data");

    /// <summary>Runs distribution on <see cref="Root"/> for <paramref name="write"/>, then stops it; returns its config file.</summary>
    public async Task<string> WriteAsync(Func<Writer, Task> write)
    {
        await using var distribution = await DistributionRegistry.StartAsync(Root, Temp.Path);
        await write(new Writer(Layout, distribution));
        return distribution.ConfigFile;
    }

    public void Dispose() => Temp.Dispose();

    /// <summary>The running distribution, with what the tests do to it.</summary>
    public sealed class Writer(OciLayout layout, DistributionRegistry distribution)
    {
        public string HostPort => distribution.HostPort;

        /// <summary>Copies the layout's image <paramref name="source"/> to <paramref name="target"/> with skopeo (flags such as <c>--all</c>).</summary>
        public Task<string> PushAsync(string source, string target, params string[] flags) =>
            ExternalTool.SkopeoOkAsync(["copy", "--dest-tls-verify=false", .. flags, $"oci:{layout.Directory}:{source}", $"docker://{HostPort}/{target}"]);

        /// <summary>Deletes a manifest by digest, as an operator does before collecting.</summary>
        public async Task DeleteAsync(string repository, string digest)
        {
            using var http = new RegistryHttp(HostPort);
            using var response = await http.DeleteManifestAsync(repository, digest);
            if ((int)response.StatusCode != 202)
                throw new InvalidOperationException($"distribution answered {(int)response.StatusCode} to deleting {repository}@{digest}");
        }
    }
}
