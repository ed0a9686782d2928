using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Portal.Data.Migrations;

/// <summary>Registry access control: personal access tokens (hashed) and repository grants. Written by hand, as the first.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261215000000_RegistryAccess")]
public sealed class RegistryAccess : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.Sql("""
            CREATE TABLE "AccessTokens" (
                "Id" INTEGER NOT NULL CONSTRAINT "PK_AccessTokens" PRIMARY KEY AUTOINCREMENT,
                "UserId" TEXT NOT NULL,
                "Name" TEXT NOT NULL,
                "SecretHash" TEXT NOT NULL,
                "Hint" TEXT NOT NULL,
                "Actions" TEXT NOT NULL,
                "RepositoryPrefix" TEXT NOT NULL,
                "CreatedAt" TEXT NOT NULL,
                "ExpiresAt" TEXT NOT NULL,
                "LastUsedAt" TEXT NULL,
                "RevokedAt" TEXT NULL,
                CONSTRAINT "FK_AccessTokens_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
            );
            """);
        b.Sql("""
            CREATE TABLE "RepositoryGrants" (
                "Id" INTEGER NOT NULL CONSTRAINT "PK_RepositoryGrants" PRIMARY KEY AUTOINCREMENT,
                "RepositoryPrefix" TEXT NOT NULL,
                "SubjectKind" TEXT NOT NULL,
                "Subject" TEXT NOT NULL,
                "Actions" TEXT NOT NULL,
                "CreatedAt" TEXT NOT NULL,
                "CreatedBy" TEXT NULL
            );
            """);
        b.Sql("""
            CREATE UNIQUE INDEX "IX_AccessTokens_SecretHash" ON "AccessTokens" ("SecretHash");
            """);
        b.Sql("""
            CREATE INDEX "IX_AccessTokens_UserId" ON "AccessTokens" ("UserId");
            """);
        b.Sql("""
            CREATE INDEX "IX_RepositoryGrants_SubjectKind_Subject" ON "RepositoryGrants" ("SubjectKind", "Subject");
            """);
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable("AccessTokens");
        b.DropTable("RepositoryGrants");
    }
}
