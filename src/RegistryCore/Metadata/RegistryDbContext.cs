using Microsoft.EntityFrameworkCore;

namespace Wharf.Registry.Metadata;

/// <summary>
/// The engine's own metadata database, kept apart from the portal's so that audit writes never queue behind a push.
/// Table and column names are fixed here because the engine also writes a few statements by hand (upserts).
/// </summary>
public sealed class RegistryDbContext(DbContextOptions<RegistryDbContext> options) : DbContext(options)
{
    public DbSet<RepositoryRecord> Repositories => Set<RepositoryRecord>();
    public DbSet<BlobRecord> Blobs => Set<BlobRecord>();
    public DbSet<RepositoryBlobRecord> RepositoryBlobs => Set<RepositoryBlobRecord>();
    public DbSet<ManifestRecord> Manifests => Set<ManifestRecord>();
    public DbSet<ManifestReferenceRecord> ManifestReferences => Set<ManifestReferenceRecord>();
    public DbSet<TagRecord> Tags => Set<TagRecord>();
    public DbSet<UploadSessionRecord> UploadSessions => Set<UploadSessionRecord>();
    public DbSet<UploadSessionGateRecord> UploadSessionGate => Set<UploadSessionGateRecord>();
    public DbSet<CachedRepositoryRecord> CachedRepositories => Set<CachedRepositoryRecord>();
    public DbSet<GcRunRecord> GcRuns => Set<GcRunRecord>();
    public DbSet<GcItemRecord> GcItems => Set<GcItemRecord>();
    public DbSet<ClusterInstanceRecord> ClusterInstances => Set<ClusterInstanceRecord>();
    public DbSet<ScheduleRunRecord> ScheduleRuns => Set<ScheduleRunRecord>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        // Names listed in order (the catalog, tags/list, their n/last pagination) compare bytewise on both databases:
        // SQLite's BINARY (its default, declared on repository names since the first schema) and PostgreSQL's "C",
        // whose order would otherwise follow the database's locale.
        var postgreSql = Database.IsNpgsql();
        model.Entity<RepositoryRecord>(e =>
        {
            e.ToTable("Repositories");
            e.HasKey(x => x.Id);
            e.Property(x => x.Name).HasMaxLength(255).UseCollation(postgreSql ? "C" : "BINARY");
            e.HasIndex(x => x.Name).IsUnique();
            // Rows that existed before the column start at 0, as new ones do (they are inserted by hand: RepositoryStore).
            e.Property(x => x.TagGeneration).HasDefaultValue(0L);
        });
        model.Entity<BlobRecord>(e =>
        {
            e.ToTable("Blobs");
            e.HasKey(x => x.Digest);
            e.Property(x => x.Digest).HasMaxLength(140);
        });
        model.Entity<RepositoryBlobRecord>(e =>
        {
            e.ToTable("RepositoryBlobs");
            e.HasKey(x => new { x.RepositoryId, x.Digest });
            e.HasIndex(x => x.Digest);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(x => x.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ManifestRecord>(e =>
        {
            e.ToTable("Manifests");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.RepositoryId, x.Digest }).IsUnique();
            e.HasIndex(x => new { x.RepositoryId, x.SubjectDigest });
            e.HasIndex(x => x.Digest);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(x => x.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.References).WithOne().HasForeignKey(x => x.ManifestId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ManifestReferenceRecord>(e =>
        {
            e.ToTable("ManifestReferences");
            e.HasKey(x => new { x.ManifestId, x.Ordinal });
            e.HasIndex(x => x.Digest);
        });
        model.Entity<TagRecord>(e =>
        {
            e.ToTable("Tags");
            e.HasKey(x => new { x.RepositoryId, x.Name });
            if (postgreSql) e.Property(x => x.Name).UseCollation("C");
            e.HasIndex(x => new { x.RepositoryId, x.ManifestDigest });
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(x => x.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<UploadSessionRecord>(e =>
        {
            e.ToTable("UploadSessions");
            e.HasKey(x => x.Id);
            e.Property(x => x.RepositoryName).HasMaxLength(255).UseCollation(postgreSql ? "C" : "BINARY");
            e.Property(x => x.Owner).HasMaxLength(255);
            e.HasIndex(x => x.UpdatedAt);
            e.HasIndex(x => x.Owner);
        });
        model.Entity<UploadSessionGateRecord>(e =>
        {
            e.ToTable("UploadSessionGate");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasData(new UploadSessionGateRecord { Id = 1 });
        });
        model.Entity<CachedRepositoryRecord>(e =>
        {
            e.ToTable("CachedRepositories");
            e.HasKey(x => x.RepositoryId);
            e.Property(x => x.Upstream).HasMaxLength(64);
            e.HasIndex(x => x.Upstream);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(x => x.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<GcRunRecord>(e =>
        {
            e.ToTable("GcRuns");
            e.HasKey(x => x.Id);
        });
        model.Entity<ClusterInstanceRecord>(e =>
        {
            e.ToTable("ClusterInstances");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(200);
        });
        model.Entity<ScheduleRunRecord>(e =>
        {
            e.ToTable("ScheduleRuns");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(100);
        });
        model.Entity<GcItemRecord>(e =>
        {
            e.ToTable("GcItems");
            e.HasKey(x => new { x.RunId, x.Ordinal });
            e.HasOne<GcRunRecord>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        model.ApplyConfiguration(new Notifications.PendingNotificationConfiguration());
        model.ApplyConfiguration(new Notifications.NotificationEndpointConfiguration());
        model.ApplyConfiguration(new Proxy.UpstreamStatisticsConfiguration());
    }
}
