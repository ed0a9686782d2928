using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.Metadata.Migrations
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
                    Upstream = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    CacheHits = table.Column<long>(type: "INTEGER", nullable: false),
                    CacheMisses = table.Column<long>(type: "INTEGER", nullable: false),
                    Fetches = table.Column<long>(type: "INTEGER", nullable: false),
                    BytesFromCache = table.Column<long>(type: "INTEGER", nullable: false),
                    BytesFetched = table.Column<long>(type: "INTEGER", nullable: false),
                    StaleServes = table.Column<long>(type: "INTEGER", nullable: false),
                    Reachable = table.Column<bool>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    LastErrorAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastSuccessAt = table.Column<DateTime>(type: "TEXT", nullable: true)
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
