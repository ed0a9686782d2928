using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wharf.Registry.Metadata.Migrations;

/// <summary>
/// The durable queue of notifications (distribution's <c>notifications.endpoints</c>) and each endpoint's delivery
/// state. Only adds tables, so an existing database keeps every row.
/// </summary>
[DbContext(typeof(RegistryDbContext))]
[Migration("20261225000000_Notifications")]
public sealed class Notifications : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable("PendingNotifications", t => new
        {
            Id = t.Column<long>("INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
            Endpoint = t.Column<string>("TEXT", maxLength: 128, nullable: false),
            EventId = t.Column<string>("TEXT", maxLength: 64, nullable: false),
            Event = t.Column<string>("TEXT", nullable: false),
            CreatedAt = t.Column<DateTime>("TEXT", nullable: false),
            Attempts = t.Column<int>("INTEGER", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_PendingNotifications", x => x.Id));
        b.CreateIndex("IX_PendingNotifications_Endpoint_Id", "PendingNotifications", ["Endpoint", "Id"]);

        b.CreateTable("NotificationEndpoints", t => new
        {
            Name = t.Column<string>("TEXT", maxLength: 128, nullable: false),
            LastSuccessAt = t.Column<DateTime>("TEXT", nullable: true),
            LastErrorAt = t.Column<DateTime>("TEXT", nullable: true),
            LastError = t.Column<string>("TEXT", nullable: true),
            ConsecutiveFailures = t.Column<int>("INTEGER", nullable: false),
        }, constraints: t => t.PrimaryKey("PK_NotificationEndpoints", x => x.Name));
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable("NotificationEndpoints");
        b.DropTable("PendingNotifications");
    }
}
