using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// Upload sessions keep all their state in their row (acknowledged size, the storage upload's resumable state, the
/// claim of the request writing to them) and name their repository instead of pointing at a row, so that opening a
/// session creates no repository. Sessions open when a database is upgraded are dropped: they never acknowledged a
/// blob, and a client whose session is gone starts the upload again (BLOB_UPLOAD_UNKNOWN); their staged files are
/// removed by upload purging.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261222000000_StatelessUploadSessions")]
public sealed class StatelessUploadSessions : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.DropTable("UploadSessions");
        b.CreateTable("UploadSessions", t => new
        {
            Id = t.Column<Guid>("TEXT", nullable: false),
            RepositoryName = t.Column<string>("TEXT", maxLength: 255, nullable: false, collation: "BINARY"),
            Owner = t.Column<string>("TEXT", maxLength: 255, nullable: false),
            StartedAt = t.Column<DateTime>("TEXT", nullable: false),
            UpdatedAt = t.Column<DateTime>("TEXT", nullable: false),
            Size = t.Column<long>("INTEGER", nullable: false),
            StorageState = t.Column<string>("TEXT", nullable: false),
            ClaimToken = t.Column<Guid>("TEXT", nullable: true),
            ClaimExpiresAt = t.Column<DateTime>("TEXT", nullable: true),
            LastChunkFailed = t.Column<bool>("INTEGER", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_UploadSessions", x => x.Id));
        b.CreateIndex("IX_UploadSessions_Owner", "UploadSessions", "Owner");
        b.CreateIndex("IX_UploadSessions_UpdatedAt", "UploadSessions", "UpdatedAt");

        b.CreateTable("UploadSessionGate", t => new
        {
            Id = t.Column<int>("INTEGER", nullable: false),
            Starts = t.Column<long>("INTEGER", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_UploadSessionGate", x => x.Id));
        b.Sql("""INSERT INTO "UploadSessionGate" ("Id", "Starts") VALUES (1, 0);""");
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable("UploadSessionGate");
        b.DropTable("UploadSessions");
        b.CreateTable("UploadSessions", t => new
        {
            Id = t.Column<Guid>("TEXT", nullable: false),
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            StartedAt = t.Column<DateTime>("TEXT", nullable: false),
            UpdatedAt = t.Column<DateTime>("TEXT", nullable: false),
            StorageState = t.Column<string>("TEXT", nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_UploadSessions", x => x.Id);
            t.ForeignKey("FK_UploadSessions_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_UploadSessions_RepositoryId", "UploadSessions", "RepositoryId");
        b.CreateIndex("IX_UploadSessions_UpdatedAt", "UploadSessions", "UpdatedAt");
    }
}
