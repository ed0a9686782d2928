using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// The pull-through cache's record of which repositories it created (and so may expire). Only adds a table, so an
/// existing database keeps every row.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261210000000_PullThroughCache")]
public sealed class PullThroughCache : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable("CachedRepositories", t => new
        {
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            Upstream = t.Column<string>("TEXT", maxLength: 64, nullable: false),
            CreatedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_CachedRepositories", x => x.RepositoryId);
            t.ForeignKey("FK_CachedRepositories_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_CachedRepositories_Upstream", "CachedRepositories", "Upstream");
    }

    protected override void Down(MigrationBuilder b) => b.DropTable("CachedRepositories");
}
