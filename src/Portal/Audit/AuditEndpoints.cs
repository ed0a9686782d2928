using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Wharf.Portal.Accounts;

namespace Wharf.Portal.Audit;

public static class AuditEndpoints
{
    /// <summary><c>GET /audit/export.csv</c>: the filtered audit trail as CSV, for Admins.</summary>
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/audit/export.csv", async (string? user, string? action, string? repository, string? from, string? to, AuditQueries queries, CancellationToken cancellationToken) =>
        {
            var filter = new AuditFilter(user, action, repository, Time(from), Time(to));
            var csv = await queries.CsvAsync(filter, cancellationToken);
            return Results.File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"wharf-audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
        }).RequireAuthorization(PortalPolicies.Admin);
        return endpoints;
    }

    private static DateTime? Time(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
