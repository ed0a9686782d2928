using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class ClusterState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CancelRequestedAt",
                table: "GcRuns",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Instance",
                table: "GcRuns",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Phase",
                table: "GcRuns",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ProgressAt",
                table: "GcRuns",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProgressDone",
                table: "GcRuns",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProgressTotal",
                table: "GcRuns",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ClusterInstances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Version = table.Column<string>(type: "text", nullable: false),
                    Address = table.Column<string>(type: "text", nullable: true),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastHeartbeatAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ClusterInstances", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ScheduleRuns",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    LastRunAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScheduleRuns", x => x.Name);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ClusterInstances");

            migrationBuilder.DropTable(
                name: "ScheduleRuns");

            migrationBuilder.DropColumn(
                name: "CancelRequestedAt",
                table: "GcRuns");

            migrationBuilder.DropColumn(
                name: "Instance",
                table: "GcRuns");

            migrationBuilder.DropColumn(
                name: "Phase",
                table: "GcRuns");

            migrationBuilder.DropColumn(
                name: "ProgressAt",
                table: "GcRuns");

            migrationBuilder.DropColumn(
                name: "ProgressDone",
                table: "GcRuns");

            migrationBuilder.DropColumn(
                name: "ProgressTotal",
                table: "GcRuns");
        }
    }
}
