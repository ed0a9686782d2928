using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Registry.Metadata.Migrations
{
    /// <inheritdoc />
    public partial class TagGenerations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "TagGeneration",
                table: "Repositories",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TagGeneration",
                table: "Repositories");
        }
    }
}
