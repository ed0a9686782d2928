using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// Garbage collection runs and their reviewable items (see docs/gc.md). Only adds tables, so an existing database
/// keeps every row; a unit test upgrades a database filled under <see cref="InitialCreate"/> alone.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261201000000_GarbageCollectionRuns")]
public sealed class GarbageCollectionRuns : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable("GcRuns", t => new
        {
            Id = t.Column<long>("INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
            Mode = t.Column<int>("INTEGER", nullable: false),
            DeleteUntagged = t.Column<bool>("INTEGER", nullable: false),
            State = t.Column<int>("INTEGER", nullable: false),
            RequestedBy = t.Column<string>("TEXT", nullable: true),
            StartedAt = t.Column<DateTime>("TEXT", nullable: false),
            FinishedAt = t.Column<DateTime>("TEXT", nullable: true),
            PreviewRunId = t.Column<long>("INTEGER", nullable: true),
            EligibleManifests = t.Column<int>("INTEGER", nullable: false),
            EligibleBlobs = t.Column<int>("INTEGER", nullable: false),
            ReclaimableBytes = t.Column<long>("INTEGER", nullable: false),
            DeletedManifests = t.Column<int>("INTEGER", nullable: false),
            DeletedBlobs = t.Column<int>("INTEGER", nullable: false),
            FreedBytes = t.Column<long>("INTEGER", nullable: false),
            KeptOnRecheck = t.Column<int>("INTEGER", nullable: false),
            PurgedUploads = t.Column<int>("INTEGER", nullable: false),
            Error = t.Column<string>("TEXT", nullable: true),
        }, constraints: t => t.PrimaryKey("PK_GcRuns", x => x.Id));

        b.CreateTable("GcItems", t => new
        {
            RunId = t.Column<long>("INTEGER", nullable: false),
            Ordinal = t.Column<int>("INTEGER", nullable: false),
            Kind = t.Column<int>("INTEGER", nullable: false),
            Digest = t.Column<string>("TEXT", nullable: false),
            MediaType = t.Column<string>("TEXT", nullable: true),
            Size = t.Column<long>("INTEGER", nullable: false),
            Repositories = t.Column<string>("TEXT", nullable: true),
            Reason = t.Column<int>("INTEGER", nullable: false),
            Outcome = t.Column<int>("INTEGER", nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_GcItems", x => new { x.RunId, x.Ordinal });
            t.ForeignKey("FK_GcItems_GcRuns_RunId", x => x.RunId, "GcRuns", "Id", onDelete: ReferentialAction.Cascade);
        });
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable("GcItems");
        b.DropTable("GcRuns");
    }
}
