namespace Wharf.Portal.Data;

/// <summary>Names the portal context's PostgreSQL migrations go by (it shares the database with the registry's).</summary>
public static class PortalDatabase
{
    public const string PostgreSqlMigrations = "Wharf.Portal.Data.PostgreSql";
    public const string HistoryTable = "__PortalMigrationsHistory";
}
