using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class UpstreamStatistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "UpstreamStatistics",
                columns: table => new
                {
                    Upstream = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    CacheHits = table.Column<long>(type: "bigint", nullable: false),
                    CacheMisses = table.Column<long>(type: "bigint", nullable: false),
                    Fetches = table.Column<long>(type: "bigint", nullable: false),
                    BytesFromCache = table.Column<long>(type: "bigint", nullable: false),
                    BytesFetched = table.Column<long>(type: "bigint", nullable: false),
                    StaleServes = table.Column<long>(type: "bigint", nullable: false),
                    Reachable = table.Column<bool>(type: "boolean", nullable: true),
                    LastError = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    LastErrorAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastSuccessAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpstreamStatistics", x => x.Upstream);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UpstreamStatistics");
        }
    }
}
