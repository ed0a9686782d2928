using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Portal.Data.Migrations;

/// <summary>Upstream registries managed in the portal (passwords encrypted at rest).</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261220000000_Upstreams")]
public sealed class Upstreams : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.Sql("""
            CREATE TABLE "Upstreams" (
                "Id" INTEGER NOT NULL CONSTRAINT "PK_Upstreams" PRIMARY KEY AUTOINCREMENT,
                "Name" TEXT NOT NULL,
                "Prefix" TEXT NOT NULL,
                "Url" TEXT NOT NULL,
                "Username" TEXT NULL,
                "ProtectedPassword" TEXT NULL,
                "TtlSeconds" INTEGER NOT NULL,
                "AllowAnonymous" INTEGER NOT NULL,
                "CreatedAt" TEXT NOT NULL,
                "UpdatedAt" TEXT NOT NULL
            );
            """);
        b.Sql("""CREATE UNIQUE INDEX "IX_Upstreams_Name" ON "Upstreams" ("Name");""");
        b.Sql("""CREATE UNIQUE INDEX "IX_Upstreams_Prefix" ON "Upstreams" ("Prefix");""");
    }

    protected override void Down(MigrationBuilder b) => b.DropTable("Upstreams");
}
