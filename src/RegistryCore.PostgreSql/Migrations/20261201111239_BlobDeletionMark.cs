using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class BlobDeletionMark : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DeletingSince",
                table: "Blobs",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DeletingSince",
                table: "Blobs");
        }
    }
}
