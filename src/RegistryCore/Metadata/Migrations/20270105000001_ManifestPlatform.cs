using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.Metadata.Migrations
{
    /// <inheritdoc />
    public partial class ManifestPlatform : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Platform",
                table: "Manifests",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Platform",
                table: "Manifests");
        }
    }
}
