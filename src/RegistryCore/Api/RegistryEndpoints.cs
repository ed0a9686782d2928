using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Auth;
using Wharf.Registry.Configuration;
using Wharf.Registry.Content;
using Wharf.Registry.Proxy;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Api;

/// <summary>
/// The /v2 API. Every request goes through <see cref="HandleAsync"/>: match the route, check the name, authorize the
/// action the route needs, then run the handler. Handlers throw <see cref="RegistryException"/> and never write errors
/// themselves, so every failure has the spec's shape.
/// </summary>
public static partial class RegistryEndpoints
{
    private delegate Task<IResult> Handler(RegistryRequest request);

    private sealed record Operation(Handler Handler, RegistryAction Action);

    private static readonly Dictionary<(RouteKind, string), Operation> Operations = new()
    {
        [(RouteKind.Base, "GET")] = new(BaseEndpoint.Get, RegistryAction.Base),
        [(RouteKind.Base, "HEAD")] = new(BaseEndpoint.Get, RegistryAction.Base),
        [(RouteKind.Catalog, "GET")] = new(CatalogEndpoint.Get, RegistryAction.Catalog),
        [(RouteKind.Tags, "GET")] = new(TagsEndpoint.Get, RegistryAction.Pull),
        [(RouteKind.Manifest, "GET")] = new(ManifestEndpoints.Get, RegistryAction.Pull),
        [(RouteKind.Manifest, "HEAD")] = new(ManifestEndpoints.Get, RegistryAction.Pull),
        [(RouteKind.Manifest, "PUT")] = new(ManifestEndpoints.Put, RegistryAction.Push),
        [(RouteKind.Manifest, "DELETE")] = new(ManifestEndpoints.Delete, RegistryAction.Delete),
        [(RouteKind.Blob, "GET")] = new(BlobEndpoints.Get, RegistryAction.Pull),
        [(RouteKind.Blob, "HEAD")] = new(BlobEndpoints.Get, RegistryAction.Pull),
        [(RouteKind.Blob, "DELETE")] = new(BlobEndpoints.Delete, RegistryAction.Delete),
        [(RouteKind.UploadStart, "POST")] = new(UploadEndpoints.Start, RegistryAction.Push),
        [(RouteKind.Upload, "GET")] = new(UploadEndpoints.Status, RegistryAction.Push),
        [(RouteKind.Upload, "PATCH")] = new(UploadEndpoints.Patch, RegistryAction.Push),
        [(RouteKind.Upload, "PUT")] = new(UploadEndpoints.Complete, RegistryAction.Push),
        [(RouteKind.Upload, "DELETE")] = new(UploadEndpoints.Cancel, RegistryAction.Push),
        [(RouteKind.Referrers, "GET")] = new(ReferrersEndpoint.Get, RegistryAction.Pull),
    };

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/v2", HandleAsync);
        endpoints.Map("/v2/{**path}", HandleAsync);
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        try
        {
            var route = RegistryRoute.Match(context.Request.Path.Value ?? "")
                ?? throw new RegistryException(RegistryError.NotFound, "no such registry endpoint");
            // The framework's request metrics see one route (/v2/{**path}); this tells manifests from blobs and uploads.
            context.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new("wharf.route", route.Kind.ToString().ToLowerInvariant()));
            if (route.Kind is not (RouteKind.Base or RouteKind.Catalog) && !RepositoryName.IsValid(route.Name))
                throw new RegistryException(RegistryError.NameInvalid, $"invalid repository name '{Truncate(route.Name)}'");
            if (!Operations.TryGetValue((route.Kind, context.Request.Method.ToUpperInvariant()), out var operation))
                throw new RegistryException(RegistryError.MethodNotAllowed, $"{context.Request.Method} is not allowed here");

            var options = context.RequestServices.GetRequiredService<IOptions<RegistryOptions>>().Value;
            SetBodyLimit(context, route.Kind, options);

            // The one routing decision of the pull-through cache: which upstream (if any) serves this repository.
            // containerd's ?ns=<host> may move the name under that upstream's prefix.
            (route, var upstream) = context.RequestServices.GetRequiredService<UpstreamCatalog>().Route(route, context.Request.Query["ns"]);

            var authorizer = context.RequestServices.GetRequiredService<IRegistryAuthorizer>();
            var caller = await authorizer.AuthorizeAsync(context, [new RegistryAccess(route.Kind is RouteKind.Base or RouteKind.Catalog ? null : route.Name, operation.Action)]);
            if (options.IsReadOnly && operation.Action is RegistryAction.Push or RegistryAction.Delete)
                throw options.ReadOnly
                    ? new RegistryException(RegistryError.Unsupported, "the registry is in read-only mode for maintenance")
                    : new RegistryException(RegistryError.StorageReadOnly);
            if (upstream is not null && operation.Action is RegistryAction.Push or RegistryAction.Delete)
                throw new RegistryException(RegistryError.Unsupported,
                    $"{route.Name} is a pull-through cache of upstream '{upstream.Upstream.Name}'; pushes and deletes are not supported there (push to a repository outside its prefix)");

            // A full disk: deletes still work (they may use the reserve), pushes are refused before they start.
            var reserve = context.RequestServices.GetRequiredService<StorageReserve>();
            if (operation.Action is RegistryAction.Delete) reserve.ReleaseIfLow();
            else if (operation.Action is RegistryAction.Push && reserve.IsLow) throw new RegistryException(RegistryError.StorageFull);

            var result = await operation.Handler(new RegistryRequest(context, route, caller));
            await result.ExecuteAsync(context);
        }
        catch (Exception e) when (context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested && e is not OperationCanceledException)
        {
            // Part of the body is out: cut the connection, so the client cannot take a short body for a whole one
            // (a blob streamed from an upstream that broke off).
            LogAborted(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RegistryEndpoints)),
                context.Request.Method, context.Request.Path, e.Message);
            context.Abort();
        }
        catch (RegistryException e)
        {
            await RegistryErrorWriter.WriteAsync(context, e.Error, e.Message, e.Detail, e.Headers);
        }
        catch (BadHttpRequestException e)
        {
            var error = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? RegistryError.SizeInvalid.WithStatus(413) : RegistryError.BlobUploadInvalid;
            await RegistryErrorWriter.WriteAsync(context, error, e.Message, null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (StorageFault.ToRegistryException(e, context.RequestServices.GetRequiredService<IOptions<RegistryOptions>>().Value.ResolvedDataDirectory) is { } fault)
        {
            // A full or read-only disk: say which, never the runtime's message (it names server paths).
            LogStorageFault(Logger(context), context.Request.Method, context.Request.Path, context.TraceIdentifier, e.Message);
            await RegistryErrorWriter.WriteAsync(context, fault.Error, fault.Message, null);
        }
        catch (UpstreamReadException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Content failed before any of it was sent (an upstream fetch that broke off or did not verify): say so.
            await RegistryErrorWriter.WriteAsync(context, RegistryError.Unavailable, e.Message, null);
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body.
        }
        catch (Exception e)
        {
            // Anything else: the spec's error body, never an empty 500, with an id to find the details in the log.
            var id = context.TraceIdentifier;
            LogUnexpected(Logger(context), e, context.Request.Method, context.Request.Path, id);
            await RegistryErrorWriter.WriteAsync(context, RegistryError.Internal,
                $"unexpected error; the operator can find it in Wharf's log under request id {id}", new { requestId = id });
        }
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RegistryEndpoints));

    /// <summary>Blob uploads may be any size (they stream to disk); everything else is small and capped.</summary>
    private static void SetBodyLimit(HttpContext context, RouteKind kind, RegistryOptions options)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is null || feature.IsReadOnly) return;
        feature.MaxRequestBodySize = kind switch
        {
            RouteKind.Upload or RouteKind.UploadStart => null,
            RouteKind.Manifest => options.MaxManifestBytes + 1L,
            _ => 64 * 1024,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed unexpectedly (request id {RequestId})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} refused: storage full or read-only (request id {RequestId}): {Message}")]
    private static partial void LogStorageFault(ILogger logger, string method, string path, string requestId, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed after its response had started; the connection was cut: {Message}")]
    private static partial void LogAborted(ILogger logger, string method, string path, string message);

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
