using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Portal.Data.Migrations;

/// <summary>Failed authentications per account and client address, for the sign-in throttle. Written by hand, as the others.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261226000000_AuthenticationThrottle")]
public sealed class AuthenticationThrottle : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.Sql("""
            CREATE TABLE "AuthenticationFailures" (
                "Key" TEXT NOT NULL CONSTRAINT "PK_AuthenticationFailures" PRIMARY KEY,
                "NormalizedUserName" TEXT NULL,
                "ClientAddress" TEXT NOT NULL,
                "Failures" INTEGER NOT NULL,
                "LastFailureAt" TEXT NOT NULL,
                "BlockedUntil" TEXT NULL,
                "RefusedSinceAudit" INTEGER NOT NULL,
                "LastAuditAt" TEXT NULL
            );
            """);
        b.Sql("""
            CREATE INDEX "IX_AuthenticationFailures_LastFailureAt" ON "AuthenticationFailures" ("LastFailureAt");
            """);
        b.Sql("""
            CREATE INDEX "IX_AuthenticationFailures_NormalizedUserName" ON "AuthenticationFailures" ("NormalizedUserName");
            """);
    }

    protected override void Down(MigrationBuilder b) => b.DropTable("AuthenticationFailures");
}
