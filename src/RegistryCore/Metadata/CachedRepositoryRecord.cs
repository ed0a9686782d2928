namespace Wharf.Registry.Metadata;

/// <summary>
/// A repository the pull-through cache created, and from which upstream. Only these are ever expired, so a private
/// repository that a later configuration happens to put under a proxied prefix never loses content to a TTL.
/// </summary>
public sealed class CachedRepositoryRecord
{
    public long RepositoryId { get; set; }
    /// <summary>The upstream's name (see Wharf.Registry.Proxy.UpstreamDefinition).</summary>
    public required string Upstream { get; set; }
    public DateTime CreatedAt { get; set; }
}
