using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wharf.Portal.Data;

namespace Wharf.Portal.Upstreams;

/// <summary>Wharf:Portal:UpstreamPollInterval: how often an instance looks for upstream edits made on another one.</summary>
public sealed class UpstreamPollOptions
{
    public TimeSpan UpstreamPollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Makes an upstream created, edited or deleted in the portal of one instance take effect on every instance sharing
/// the portal database, without a restart: it reads the rows' <see cref="PortalUpstreamSource.Version"/> every
/// <see cref="UpstreamPollOptions.UpstreamPollInterval"/> and reloads the definitions when it differs from what they
/// were read from. Polling works the same on SQLite and PostgreSQL; the query reads two columns of a handful of rows.
/// </summary>
public sealed partial class UpstreamChangePoller(
    IServiceScopeFactory scopes,
    PortalUpstreamSource source,
    IOptions<UpstreamPollOptions> options,
    TimeProvider time,
    ILogger<UpstreamChangePoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.UpstreamPollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away for a while; the next tick tries again.
                LogCheckFailed(logger, e.Message);
            }
        }
    }

    /// <summary>Reloads the definitions if the rows changed since they were read; true if it did.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var rows = await db.Upstreams.AsNoTracking().OrderBy(u => u.Name).Select(u => new { u.Id, u.UpdatedAt }).ToListAsync(cancellationToken);
        if (PortalUpstreamSource.Version(rows.Select(r => (r.Id, r.UpdatedAt))) == source.LoadedVersion) return false;
        source.Reload();
        LogReloaded(logger);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstreams were changed in the portal database (perhaps on another instance); reloaded")]
    private static partial void LogReloaded(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check the portal database for upstream changes: {Message}")]
    private static partial void LogCheckFailed(ILogger logger, string message);
}
