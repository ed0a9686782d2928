using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Wharf.Registry.Metadata;

/// <summary>How many rows of one table a copy moved.</summary>
public sealed record CopiedTable(string Table, long Rows);

/// <summary>
/// Copies every row of a context's tables from one database to another of the same model (SQLite to PostgreSQL when
/// a deployment moves up), principal tables before the tables that refer to them, keys kept as they are. The target
/// must have the schema already and no rows.
/// </summary>
/// <remarks>
/// Written over the EF model rather than per table so that a table added later is copied without anyone
/// remembering to: the model is the list. SQLite hands times back without a kind; they were written as UTC, so they
/// are marked UTC, which PostgreSQL's timestamp with time zone requires.
/// </remarks>
public static class DatabaseCopier
{
    private const int Batch = 1000;

    /// <summary>Which processes run is the source deployment's state, not its data: the target's instances register themselves.</summary>
    public static readonly IReadOnlySet<Type> NotCopied = new HashSet<Type> { typeof(ClusterInstanceRecord) };

    public static async Task<List<CopiedTable>> CopyAsync(DbContext source, Func<DbContext> createTarget, CancellationToken cancellationToken)
    {
        var copied = new List<CopiedTable>();
        var copy = typeof(DatabaseCopier).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var entity in InDependencyOrder(source.Model))
        {
            var task = (Task<long>)copy.MakeGenericMethod(entity.ClrType).Invoke(null, [source, createTarget, cancellationToken])!;
            try
            {
                copied.Add(new CopiedTable(entity.GetTableName()!, await task));
            }
            catch (DbUpdateException e)
            {
                throw new InvalidOperationException($"copying {entity.GetTableName()} failed: {e.InnerException?.Message ?? e.Message}", e);
            }
        }
        await using (var target = createTarget())
            if (target.Database.IsNpgsql()) await AdvanceIdentitiesAsync(target, cancellationToken);
        return copied;
    }

    private static async Task<long> CopyTableAsync<T>(DbContext source, Func<DbContext> createTarget, CancellationToken cancellationToken) where T : class
    {
        // The target had no table before its migrations ran, so any row in it now is one a migration seeded (the
        // upload session gate's): the source's row replaces it.
        await using (var seeded = createTarget())
            await seeded.Set<T>().ExecuteDeleteAsync(cancellationToken);
        long rows = 0;
        var batch = new List<T>(Batch);
        async Task FlushAsync()
        {
            await using var target = createTarget();
            target.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var row in batch)
            {
                foreach (var property in TimeProperties<T>.All)
                {
                    switch (property.GetValue(row))
                    {
                        case DateTime { Kind: not DateTimeKind.Utc } time:
                            property.SetValue(row, DateTime.SpecifyKind(time, DateTimeKind.Utc));
                            break;
                        case DateTimeOffset offset when offset.Offset != TimeSpan.Zero:
                            property.SetValue(row, offset.ToUniversalTime());
                            break;
                    }
                }
                target.Add(row);
            }
            await target.SaveChangesAsync(cancellationToken);
            rows += batch.Count;
            batch.Clear();
        }
        await foreach (var row in source.Set<T>().AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            batch.Add(row);
            if (batch.Count == Batch) await FlushAsync();
        }
        if (batch.Count > 0) await FlushAsync();
        return rows;
    }

    /// <summary>Tables whose rows others refer to come first, so every foreign key finds its row.</summary>
    private static List<IEntityType> InDependencyOrder(IModel model)
    {
        var types = model.GetEntityTypes().Where(t => t.GetTableName() is not null && !t.IsOwned() && !NotCopied.Contains(t.ClrType)).ToList();
        var ordered = new List<IEntityType>();
        var placed = new HashSet<IEntityType>();
        void Place(IEntityType type, HashSet<IEntityType> visiting)
        {
            if (placed.Contains(type) || !visiting.Add(type)) return;
            foreach (var key in type.GetForeignKeys())
                if (key.PrincipalEntityType != type) Place(key.PrincipalEntityType, visiting);
            placed.Add(type);
            ordered.Add(type);
        }
        foreach (var type in types.OrderBy(t => t.GetTableName(), StringComparer.Ordinal)) Place(type, []);
        return ordered;
    }

    /// <summary>Keys were copied as they were, so each identity column's sequence moves past the largest one.</summary>
    private static async Task AdvanceIdentitiesAsync(DbContext target, CancellationToken cancellationToken)
    {
        foreach (var type in target.Model.GetEntityTypes())
        {
            var key = type.FindPrimaryKey();
            if (key is not { Properties: [var column] } || column.ValueGenerated != ValueGenerated.OnAdd
                || column.ClrType != typeof(long) && column.ClrType != typeof(int)) continue;
            var table = type.GetTableName()!;
            var name = column.GetColumnName();
            // Table and column names come from the model, not from input.
            var sql = "SELECT setval(pg_get_serial_sequence('\"" + table + "\"', '" + name + "'), COALESCE((SELECT MAX(\"" + name + "\") FROM \"" + table + "\"), 0) + 1, false)";
            await target.Database.ExecuteSqlRawAsync(sql, cancellationToken);
        }
    }

    private static class TimeProperties<T>
    {
        public static readonly PropertyInfo[] All = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) is var t && (t == typeof(DateTime) || t == typeof(DateTimeOffset)))
            .ToArray();
    }
}
