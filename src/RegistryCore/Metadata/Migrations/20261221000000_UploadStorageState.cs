using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// Upload sessions keep their storage driver's resumable state (a file size, or an object store's staged parts), so
/// any instance can continue an upload. The table is rebuilt with the new nullable column (SQLite's way of altering a
/// table, so the result is exactly the table the model creates); every row is copied. Sessions from before have no
/// state and are answered BLOB_UPLOAD_UNKNOWN: the client starts that upload again.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261221000000_UploadStorageState")]
public sealed class UploadStorageState : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable("ef_temp_UploadSessions", t => new
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
        b.Sql("""
            INSERT INTO "ef_temp_UploadSessions" ("Id", "RepositoryId", "StartedAt", "UpdatedAt")
            SELECT "Id", "RepositoryId", "StartedAt", "UpdatedAt" FROM "UploadSessions";
            """);
        b.DropTable("UploadSessions");
        b.RenameTable("ef_temp_UploadSessions", newName: "UploadSessions");
        b.CreateIndex("IX_UploadSessions_RepositoryId", "UploadSessions", "RepositoryId");
        b.CreateIndex("IX_UploadSessions_UpdatedAt", "UploadSessions", "UpdatedAt");
    }

    protected override void Down(MigrationBuilder b) => b.DropColumn("StorageState", "UploadSessions");
}
