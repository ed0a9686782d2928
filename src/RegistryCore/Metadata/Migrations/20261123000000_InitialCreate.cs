using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// The first schema of the registry metadata. Migrations are written by hand (the EF design-time tools are not
/// used); a unit test checks that migrating gives the same schema as the model.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261123000000_InitialCreate")]
public sealed class InitialCreate : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable("Repositories", t => new
        {
            Id = t.Column<long>("INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
            Name = t.Column<string>("TEXT", maxLength: 255, nullable: false, collation: "BINARY"),
            CreatedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_Repositories", x => x.Id));
        b.CreateIndex("IX_Repositories_Name", "Repositories", "Name", unique: true);

        b.CreateTable("Blobs", t => new
        {
            Digest = t.Column<string>("TEXT", maxLength: 140, nullable: false),
            Size = t.Column<long>("INTEGER", nullable: false),
            CreatedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_Blobs", x => x.Digest));

        b.CreateTable("RepositoryBlobs", t => new
        {
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            Digest = t.Column<string>("TEXT", nullable: false),
            LinkedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_RepositoryBlobs", x => new { x.RepositoryId, x.Digest });
            t.ForeignKey("FK_RepositoryBlobs_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_RepositoryBlobs_Digest", "RepositoryBlobs", "Digest");

        b.CreateTable("Manifests", t => new
        {
            Id = t.Column<long>("INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            Digest = t.Column<string>("TEXT", nullable: false),
            MediaType = t.Column<string>("TEXT", nullable: false),
            Size = t.Column<long>("INTEGER", nullable: false),
            ArtifactType = t.Column<string>("TEXT", nullable: true),
            ConfigDigest = t.Column<string>("TEXT", nullable: true),
            SubjectDigest = t.Column<string>("TEXT", nullable: true),
            AnnotationsJson = t.Column<string>("TEXT", nullable: true),
            PushedAt = t.Column<DateTime>("TEXT", nullable: false),
            LastPulledAt = t.Column<DateTime>("TEXT", nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_Manifests", x => x.Id);
            t.ForeignKey("FK_Manifests_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_Manifests_Digest", "Manifests", "Digest");
        b.CreateIndex("IX_Manifests_RepositoryId_Digest", "Manifests", ["RepositoryId", "Digest"], unique: true);
        b.CreateIndex("IX_Manifests_RepositoryId_SubjectDigest", "Manifests", ["RepositoryId", "SubjectDigest"]);

        b.CreateTable("ManifestReferences", t => new
        {
            ManifestId = t.Column<long>("INTEGER", nullable: false),
            Ordinal = t.Column<int>("INTEGER", nullable: false),
            Kind = t.Column<int>("INTEGER", nullable: false),
            Digest = t.Column<string>("TEXT", nullable: false),
            MediaType = t.Column<string>("TEXT", nullable: false),
            Size = t.Column<long>("INTEGER", nullable: false),
            Platform = t.Column<string>("TEXT", nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_ManifestReferences", x => new { x.ManifestId, x.Ordinal });
            t.ForeignKey("FK_ManifestReferences_Manifests_ManifestId", x => x.ManifestId, "Manifests", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_ManifestReferences_Digest", "ManifestReferences", "Digest");

        b.CreateTable("Tags", t => new
        {
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            Name = t.Column<string>("TEXT", nullable: false),
            ManifestDigest = t.Column<string>("TEXT", nullable: false),
            UpdatedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_Tags", x => new { x.RepositoryId, x.Name });
            t.ForeignKey("FK_Tags_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_Tags_RepositoryId_ManifestDigest", "Tags", ["RepositoryId", "ManifestDigest"]);

        b.CreateTable("UploadSessions", t => new
        {
            Id = t.Column<Guid>("TEXT", nullable: false),
            RepositoryId = t.Column<long>("INTEGER", nullable: false),
            StartedAt = t.Column<DateTime>("TEXT", nullable: false),
            UpdatedAt = t.Column<DateTime>("TEXT", nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_UploadSessions", x => x.Id);
            t.ForeignKey("FK_UploadSessions_Repositories_RepositoryId", x => x.RepositoryId, "Repositories", "Id", onDelete: ReferentialAction.Cascade);
        });
        b.CreateIndex("IX_UploadSessions_RepositoryId", "UploadSessions", "RepositoryId");
        b.CreateIndex("IX_UploadSessions_UpdatedAt", "UploadSessions", "UpdatedAt");
    }

    protected override void Down(MigrationBuilder b)
    {
        foreach (var table in new[] { "UploadSessions", "Tags", "ManifestReferences", "Manifests", "RepositoryBlobs", "Blobs", "Repositories" })
            b.DropTable(table);
    }
}
