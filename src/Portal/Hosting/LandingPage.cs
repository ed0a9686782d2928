namespace Wharf.Portal.Hosting;

/// <summary>What a browser sees at the root until the admin portal is in place.</summary>
internal static class LandingPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Wharf</title></head>
        <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
        <h1>Wharf</h1>
        <p>This is a container registry. Push and pull with <code>docker</code>, <code>podman</code> or <code>skopeo</code>
        using this host and port, for example <code>skopeo copy oci:image docker://HOST/team/app:1.0</code>.</p>
        <p>Health: <a href="/healthz">/healthz</a></p>
        </body></html>
        """;
}
