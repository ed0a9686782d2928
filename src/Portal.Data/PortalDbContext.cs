using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Wharf.Portal.Data;

/// <summary>The portal's database: Identity users and roles, and the audit trail. Separate from the registry's metadata.</summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<AuditEntry>(e =>
        {
            e.ToTable("AuditEntries");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.Timestamp);
            e.HasIndex(x => new { x.Actor, x.Timestamp });
            e.HasIndex(x => new { x.Action, x.Timestamp });
            e.HasIndex(x => new { x.Repository, x.Timestamp });
        });
    }
}
