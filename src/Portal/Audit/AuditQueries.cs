using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Data;

namespace Wharf.Portal.Audit;

public sealed record AuditFilter(string? Actor, string? Action, string? Repository, DateTime? From, DateTime? To);

/// <summary>Reads the audit trail for the portal: filtered, newest first, paged; and as CSV.</summary>
public sealed class AuditQueries(IDbContextFactory<PortalDbContext> databases)
{
    public async Task<(List<AuditEntry> Items, int Total)> PageAsync(AuditFilter filter, int skip, int take, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var query = Apply(db.AuditEntries.AsNoTracking(), filter);
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
        return (items, total);
    }

    public async Task<List<string>> ActionsAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.Select(e => e.Action).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
    }

    public async Task<string> CsvAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        // The same columns, filter and order as the table: what you see is what you export.
        var csv = new StringBuilder("timestamp_utc,actor,client,action,repository,target,outcome,detail\n");
        await foreach (var e in Apply(db.AuditEntries.AsNoTracking(), filter).OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id)
                           .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            csv.AppendJoin(',', e.Timestamp.ToString("O", CultureInfo.InvariantCulture), Quote(e.Actor), Quote(e.ClientAddress), Quote(e.Action),
                Quote(e.Repository), Quote(e.Target), Quote(e.Outcome), Quote(e.Detail)).Append('\n');
        }
        return csv.ToString();
    }

    private static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> query, AuditFilter filter)
    {
        // Case-insensitive substring matching, as everywhere else in the portal.
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim().ToLowerInvariant();
            query = query.Where(e => e.Actor.ToLower().Contains(actor));
        }
        if (!string.IsNullOrWhiteSpace(filter.Action)) query = query.Where(e => e.Action == filter.Action);
        if (!string.IsNullOrWhiteSpace(filter.Repository))
        {
            var repository = filter.Repository.Trim().ToLowerInvariant();
            query = query.Where(e => e.Repository != null && e.Repository.ToLower().Contains(repository));
        }
        if (filter.From is { } from) query = query.Where(e => e.Timestamp >= from);
        if (filter.To is { } to) query = query.Where(e => e.Timestamp <= to);
        return query;
    }

    /// <summary>
    /// RFC 4180 quoting; a field that a spreadsheet would read as a formula (leading =, +, -, @, tab or carriage
    /// return: OWASP's list for CSV injection) gets a leading apostrophe so it is shown, not run.
    /// </summary>
    public static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
