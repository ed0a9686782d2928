using System.Text.Json;
using System.Text.Json.Nodes;
using Wharf.Registry.Events;

namespace Wharf.Registry.Notifications;

/// <summary>
/// distribution's notification format: a POST of <c>{"events":[…]}</c> with the media type
/// <see cref="MediaType"/>; each event has an id, timestamp, action (push, pull, mount, delete), the target
/// (mediaType, size, digest, length, repository, url, tag), the request, the actor and the source.
/// </summary>
public static class NotificationEnvelope
{
    public const string MediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <summary>Blobs have no media type of their own in distribution's events.</summary>
    private const string BlobMediaType = "application/octet-stream";

    /// <summary>The action and target media type of an engine event, or null for events that are not notified.</summary>
    public static (string Action, string? MediaType)? Classify(RegistryEvent e) => e.Kind switch
    {
        RegistryEventKind.ManifestPushed => ("push", e.MediaType),
        RegistryEventKind.ManifestPulled => ("pull", e.MediaType),
        RegistryEventKind.ManifestDeleted or RegistryEventKind.TagDeleted => ("delete", e.MediaType),
        RegistryEventKind.BlobUploaded => ("push", BlobMediaType),
        RegistryEventKind.BlobMounted => ("mount", BlobMediaType),
        RegistryEventKind.BlobDeleted => ("delete", BlobMediaType),
        _ => null,
    };

    /// <summary>Request details, when the event was raised by an HTTP request.</summary>
    public sealed record RequestInfo(string Id, string? Address, string Host, string Method, string UserAgent, string BaseUrl);

    public static JsonObject Event(string id, RegistryEvent e, string action, string? mediaType, RequestInfo? request, string sourceAddress, string instanceId)
    {
        var isManifest = e.Kind is RegistryEventKind.ManifestPushed or RegistryEventKind.ManifestPulled or RegistryEventKind.ManifestDeleted or RegistryEventKind.TagDeleted;
        var target = new JsonObject { ["mediaType"] = mediaType };
        if (e.Size is { } size) { target["size"] = size; target["length"] = size; }
        if (e.Digest is not null) target["digest"] = e.Digest;
        target["repository"] = e.Repository;
        if (request is not null && e.Digest is not null)
            target["url"] = $"{request.BaseUrl}/v2/{e.Repository}/{(isManifest ? "manifests" : "blobs")}/{e.Digest}";
        if (e.Tag is not null) target["tag"] = e.Tag;
        var result = new JsonObject
        {
            ["id"] = id,
            ["timestamp"] = e.Timestamp.ToUniversalTime().ToString("O"),
            ["action"] = action,
            ["target"] = target,
        };
        if (request is not null)
            result["request"] = new JsonObject
            {
                ["id"] = request.Id,
                ["addr"] = request.Address,
                ["host"] = request.Host,
                ["method"] = request.Method,
                ["useragent"] = request.UserAgent,
            };
        result["actor"] = e.Caller.User is { } user ? new JsonObject { ["name"] = user } : new JsonObject();
        result["source"] = new JsonObject { ["addr"] = sourceAddress, ["instanceID"] = instanceId };
        return result;
    }

    /// <summary>The body of one POST: the events, in order.</summary>
    public static string Body(IEnumerable<string> events) => "{\"events\":[" + string.Join(',', events) + "]}";

    public static string Serialize(JsonObject e) => e.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
