using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Wharf.Portal.Data;
using Wharf.Registry.Proxy;

namespace Wharf.Portal.Upstreams;

/// <summary>
/// The upstreams Admins manage in the portal, for the engine's upstream catalog. Passwords are decrypted here, in
/// memory, only to hand them to the upstream client; the database holds them encrypted with Data Protection.
/// An edit on this instance reloads at once; <see cref="UpstreamChangePoller"/> notices edits made on other instances.
/// </summary>
public sealed partial class PortalUpstreamSource(IServiceScopeFactory scopes, IDataProtectionProvider protection, ILogger<PortalUpstreamSource> logger)
    : IUpstreamSource
{
    public const string PasswordPurpose = "Wharf.Upstreams.Password";

    private readonly Lock _lock = new();
    private IReadOnlyList<UpstreamDefinition>? _upstreams;
    private CancellationTokenSource _changed = new();
    private string? _loadedVersion;

    public IDataProtector PasswordProtector { get; } = protection.CreateProtector(PasswordPurpose);

    public IReadOnlyList<UpstreamDefinition> GetUpstreams()
    {
        lock (_lock) return _upstreams ??= Load();
    }

    public IChangeToken GetChangeToken()
    {
        lock (_lock) return new CancellationChangeToken(_changed.Token);
    }

    /// <summary>The <see cref="Version"/> of the rows the definitions in use were read from (null before the first read).</summary>
    public string? LoadedVersion
    {
        get
        {
            lock (_lock) return _loadedVersion;
        }
    }

    /// <summary>
    /// What identifies one state of the portal's upstream rows: each row's id and last change, in name order. Any
    /// create, edit or delete, on any instance, gives another value.
    /// </summary>
    public static string Version(IEnumerable<(long Id, DateTime UpdatedAt)> rows) =>
        string.Join(',', rows.Select(r => $"{r.Id}:{r.UpdatedAt.Ticks}"));

    /// <summary>Reads the definitions again and tells the catalog, which rebuilds its routing at once.</summary>
    public void Reload()
    {
        CancellationTokenSource previous;
        lock (_lock)
        {
            _upstreams = Load();
            previous = _changed;
            _changed = new CancellationTokenSource();
        }
        previous.Cancel();
        previous.Dispose();
    }

    private List<UpstreamDefinition> Load()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var result = new List<UpstreamDefinition>();
        var records = db.Upstreams.AsNoTracking().OrderBy(u => u.Name).ToList();
        _loadedVersion = Version(records.Select(r => (r.Id, r.UpdatedAt)));
        foreach (var record in records)
        {
            try
            {
                var password = record.ProtectedPassword is null ? null : PasswordProtector.Unprotect(record.ProtectedPassword);
                result.Add(UpstreamDefinition.Create($"portal upstream '{record.Name}'", record.Name, record.Prefix, record.Url,
                    record.Username, password, TimeSpan.FromSeconds(record.TtlSeconds), record.AllowAnonymous));
            }
            catch (Exception e) when (e is InvalidDataException or System.Security.Cryptography.CryptographicException)
            {
                // A record that no longer validates, or whose password the current keys cannot read, is left out, not fatal.
                LogSkipped(logger, record.Name, e.Message);
            }
        }
        return result;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Upstream '{Name}' from the portal is not used: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string name, string reason);
}
