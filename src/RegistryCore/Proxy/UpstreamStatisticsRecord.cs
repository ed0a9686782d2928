using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Wharf.Registry.Proxy;

/// <summary>
/// One upstream's pull-through counters and last outcomes, kept across restarts. The counters are totals of every
/// instance sharing the database: each adds what it counted since its last flush (see <see cref="UpstreamStatisticsStore"/>).
/// </summary>
public sealed class UpstreamStatisticsRecord
{
    public required string Upstream { get; set; }
    public long CacheHits { get; set; }
    public long CacheMisses { get; set; }
    public long Fetches { get; set; }
    public long BytesFromCache { get; set; }
    public long BytesFetched { get; set; }
    public long StaleServes { get; set; }
    public bool? Reachable { get; set; }
    public string? LastError { get; set; }
    public DateTime? LastErrorAt { get; set; }
    public DateTime? LastSuccessAt { get; set; }
}

public sealed class UpstreamStatisticsConfiguration : IEntityTypeConfiguration<UpstreamStatisticsRecord>
{
    public void Configure(EntityTypeBuilder<UpstreamStatisticsRecord> e)
    {
        e.ToTable("UpstreamStatistics");
        e.HasKey(x => x.Upstream);
        e.Property(x => x.Upstream).HasMaxLength(128);
        e.Property(x => x.LastError).HasMaxLength(1024);
    }
}
