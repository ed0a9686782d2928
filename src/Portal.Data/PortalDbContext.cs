using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Wharf.Portal.Data;

/// <summary>
/// The portal's database: Identity users and roles, the audit trail, access tokens and repository grants, and the
/// keys every instance shares (Data Protection's key ring, the token signing key). Separate from the registry's metadata.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<UpstreamRecord> Upstreams => Set<UpstreamRecord>();
    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();
    public DbSet<RepositoryGrant> RepositoryGrants => Set<RepositoryGrant>();
    public DbSet<AuthenticationFailure> AuthenticationFailures => Set<AuthenticationFailure>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<UpstreamRecord>(e =>
        {
            e.ToTable("Upstreams");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.Prefix).IsUnique();
        });
        builder.Entity<AuditEntry>(e =>
        {
            e.ToTable("AuditEntries");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.Timestamp);
            e.HasIndex(x => new { x.Actor, x.Timestamp });
            e.HasIndex(x => new { x.Action, x.Timestamp });
            e.HasIndex(x => new { x.Repository, x.Timestamp });
        });
        builder.Entity<AccessToken>(e =>
        {
            e.ToTable("AccessTokens");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.SecretHash).IsUnique();
            e.HasIndex(x => x.UserId);
            e.HasOne<PortalUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<RepositoryGrant>(e =>
        {
            e.ToTable("RepositoryGrants");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.SubjectKind, x.Subject });
        });
        builder.Entity<DataProtectionKey>(e => e.ToTable("DataProtectionKeys"));
        builder.Entity<SigningKey>(e =>
        {
            e.ToTable("SigningKeys");
            e.HasKey(x => x.Name);
        });
        builder.Entity<AuthenticationFailure>(e =>
        {
            e.ToTable("AuthenticationFailures");
            e.HasKey(x => x.Key);
            e.HasIndex(x => x.NormalizedUserName);
            e.HasIndex(x => x.LastFailureAt);
        });
    }
}
