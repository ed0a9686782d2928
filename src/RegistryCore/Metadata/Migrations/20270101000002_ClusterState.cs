using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.Metadata.Migrations
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Instance",
                table: "GcRuns",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Phase",
                table: "GcRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ProgressAt",
                table: "GcRuns",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProgressDone",
                table: "GcRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProgressTotal",
                table: "GcRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ClusterInstances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Version = table.Column<string>(type: "TEXT", nullable: false),
                    Address = table.Column<string>(type: "TEXT", nullable: true),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastHeartbeatAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ClusterInstances", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ScheduleRuns",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    LastRunAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
