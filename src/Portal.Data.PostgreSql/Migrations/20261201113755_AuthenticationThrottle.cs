using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Portal.Data.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class AuthenticationThrottle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AuthenticationFailures",
                columns: table => new
                {
                    Key = table.Column<string>(type: "text", nullable: false),
                    NormalizedUserName = table.Column<string>(type: "text", nullable: true),
                    ClientAddress = table.Column<string>(type: "text", nullable: false),
                    Failures = table.Column<int>(type: "integer", nullable: false),
                    LastFailureAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    BlockedUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RefusedSinceAudit = table.Column<int>(type: "integer", nullable: false),
                    LastAuditAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuthenticationFailures", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuthenticationFailures_LastFailureAt",
                table: "AuthenticationFailures",
                column: "LastFailureAt");

            migrationBuilder.CreateIndex(
                name: "IX_AuthenticationFailures_NormalizedUserName",
                table: "AuthenticationFailures",
                column: "NormalizedUserName");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuthenticationFailures");
        }
    }
}
