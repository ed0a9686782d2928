using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Wharf.Registry.Api;

/// <summary>Writes the spec's error body: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
public static class RegistryErrorWriter
{
    public static async Task WriteAsync(HttpContext context, RegistryError error, string message, object? detail, IReadOnlyDictionary<string, string>? headers = null)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        context.Response.StatusCode = error.Status;
        if (headers is not null)
        {
            foreach (var (name, value) in headers) context.Response.Headers[name] = value;
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            errors = new[] { new { code = error.Code, message, detail = detail ?? new { } } },
        });
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await context.Response.Body.WriteAsync(body);
    }
}
