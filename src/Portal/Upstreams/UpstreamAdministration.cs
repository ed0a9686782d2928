using Microsoft.AspNetCore.DataProtection;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Registry.Proxy;

namespace Wharf.Portal.Upstreams;

/// <summary>
/// What an Admin enters for an upstream. An empty password on an edit keeps the stored one (the field is write-only),
/// unless the URL moves to another origin.
/// </summary>
public sealed class UpstreamInput
{
    public long? Id { get; set; }
    public string Name { get; set; } = "";
    public string Prefix { get; set; } = "";
    public string Url { get; set; } = "";
    public string? Username { get; set; }
    public string? Password { get; set; }
    public double TtlHours { get; set; } = UpstreamDefinition.DefaultTtl.TotalHours;
    public bool AllowAnonymous { get; set; }
}

/// <summary>An upstream as the portal lists it: where it is defined, whether the portal may edit it, and its statistics.</summary>
public sealed record UpstreamRow(UpstreamInfo Info, long? PortalId)
{
    public bool Editable => PortalId is not null;
    public bool AnonymousExposesCredentials => Info.Username is not null && Info.AllowAnonymous;
}

/// <summary>
/// Upstreams for the portal: list with statistics, add, edit, delete, test the connection. Changes are Admin-only
/// (checked here), validated as the engine validates configuration, audited without the password, and take effect
/// at once.
/// </summary>
public sealed class UpstreamAdministration(
    PortalDbContext db, PortalUpstreamSource source, UpstreamCatalog catalog, AdminGate gate, AuditLog audit)
{
    public async Task<List<UpstreamRow>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await db.Upstreams.AsNoTracking().ToDictionaryAsync(u => u.Name, u => u.Id, StringComparer.OrdinalIgnoreCase, cancellationToken);
        return catalog.Describe().Select(i => new UpstreamRow(i, ids.TryGetValue(i.Name, out var id) ? id : null)).ToList();
    }

    public async Task<UpstreamInput?> LoadAsync(long id, CancellationToken cancellationToken)
    {
        var record = await db.Upstreams.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        return record is null ? null : new UpstreamInput
        {
            Id = record.Id, Name = record.Name, Prefix = record.Prefix, Url = record.Url, Username = record.Username,
            TtlHours = TimeSpan.FromSeconds(record.TtlSeconds).TotalHours, AllowAnonymous = record.AllowAnonymous,
        };
    }

    /// <returns>Null on success, else why the change was refused.</returns>
    public async Task<string?> SaveAsync(ClaimsPrincipal actor, UpstreamInput input, CancellationToken cancellationToken)
    {
        var action = input.Id is null ? "upstream.create" : "upstream.update";
        if (await RefusedAsync(actor, action, input.Name) is { } refused) return refused;

        var record = input.Id is { } id ? await db.Upstreams.FirstOrDefaultAsync(u => u.Id == id, cancellationToken) : null;
        if (input.Id is not null && record is null) return "that upstream no longer exists";
        var username = string.IsNullOrWhiteSpace(input.Username) ? null : input.Username.Trim();
        // The stored password stays with the origin it was entered for: a URL moved to another host (or port, or from
        // HTTPS to HTTP) without the password typed again drops it, so it is never sent to the new address.
        var keepsOrigin = record is not null && Uri.TryCreate(record.Url, UriKind.Absolute, out var before)
            && Uri.TryCreate(input.Url?.Trim(), UriKind.Absolute, out var after) && UpstreamOrigin.Same(before, after);
        var password = string.IsNullOrEmpty(input.Password)
            ? (username is null || !keepsOrigin ? null : record?.ProtectedPassword is { } stored ? source.PasswordProtector.Unprotect(stored) : null)
            : input.Password;
        if (username is not null && password is null && record?.ProtectedPassword is not null && !keepsOrigin)
            return "the URL now points to another host: enter the password again (the stored one is only ever sent to the host it was entered for)";
        UpstreamDefinition definition;
        try
        {
            definition = UpstreamDefinition.Create("upstream", input.Name, input.Prefix, input.Url, username, password,
                TimeSpan.FromHours(input.TtlHours), input.AllowAnonymous);
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        // Names and prefixes are unique across configuration and portal alike.
        foreach (var other in catalog.Describe().Where(u => !string.Equals(u.Name, record?.Name, StringComparison.OrdinalIgnoreCase)))
        {
            if (string.Equals(other.Name, definition.Name, StringComparison.OrdinalIgnoreCase)) return $"an upstream named '{other.Name}' exists already";
            if (other.Prefix == definition.Prefix) return $"the prefix '{definition.Prefix}/' already routes to '{other.Name}'";
        }

        var now = DateTime.UtcNow;
        record ??= db.Upstreams.Add(new UpstreamRecord { Name = definition.Name, Prefix = "", Url = "", CreatedAt = now }).Entity;
        record.Name = definition.Name;
        record.Prefix = definition.Prefix;
        record.Url = definition.Url.ToString();
        record.Username = definition.Username;
        record.ProtectedPassword = definition.Password is null ? null : source.PasswordProtector.Protect(definition.Password);
        record.TtlSeconds = (long)definition.Ttl.TotalSeconds;
        record.AllowAnonymous = definition.AllowAnonymous;
        record.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        source.Reload();
        audit.Record(actor.Identity!.Name!, action, AuditOutcome.Success, target: definition.Name,
            detail: $"prefix '{definition.Prefix}', {definition.Url}, {(definition.Username is null ? "anonymous" : $"user {definition.Username}")}" +
                    $"{(string.IsNullOrEmpty(input.Password) ? "" : ", password set")}{(definition.AllowAnonymous ? ", anonymous pulls allowed" : "")}");
        return null;
    }

    public async Task<string?> DeleteAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken)
    {
        var record = await db.Upstreams.FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (await RefusedAsync(actor, "upstream.delete", record?.Name ?? id.ToString()) is { } refused) return refused;
        if (record is null) return "that upstream no longer exists";
        db.Upstreams.Remove(record);
        await db.SaveChangesAsync(cancellationToken);
        source.Reload();
        audit.Record(actor.Identity!.Name!, "upstream.delete", AuditOutcome.Success, target: record.Name);
        return null;
    }

    /// <returns>Null when the upstream answered and accepted its credentials, else what went wrong.</returns>
    public async Task<string?> TestAsync(ClaimsPrincipal actor, string name, CancellationToken cancellationToken)
    {
        if (await RefusedAsync(actor, "upstream.test", name) is { } refused) return refused;
        try
        {
            await catalog.CheckAsync(name, cancellationToken);
            return null;
        }
        catch (UpstreamException e)
        {
            return e.Message;
        }
    }

    private async Task<string?> RefusedAsync(ClaimsPrincipal actor, string action, string target) =>
        await gate.AllowsAsync(actor, action, target: target) ? null : "only an Admin may manage upstreams";
}
