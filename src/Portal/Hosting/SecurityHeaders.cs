namespace Wharf.Portal.Hosting;

/// <summary>
/// Security headers for the portal's pages. The policy allows only Wharf's own scripts; inline styles are allowed
/// because the component library positions popups with them. The registry API (/v2) answers JSON and blobs and gets
/// only nosniff (and HSTS over HTTPS).
/// </summary>
public static class SecurityHeaders
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        // Set when the response starts, so that handlers which clear the response (the registry's error writer) keep them.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            // Over HTTPS (directly or through a trusted proxy), browsers should never fall back to plain HTTP.
            if (context.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000";
            if (!context.Request.Path.StartsWithSegments("/v2"))
            {
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
            }
            return Task.CompletedTask;
        });
        await next();
    });
}
