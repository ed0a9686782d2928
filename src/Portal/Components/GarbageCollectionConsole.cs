using Microsoft.AspNetCore.Components.Authorization;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Registry;
using Wharf.Registry.Browse;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;
using Wharf.Registry.Uploads;

namespace Wharf.Portal.Components;

/// <summary>
/// The portal's side of garbage collection: preview, collect a reviewed preview, cancel, history. Every action is
/// checked for the Admin role here, on the server; the engine records each run and raises the event the audit
/// trail keeps.
/// </summary>
public sealed class GarbageCollectionConsole(
    GarbageCollector collector, EngineCalls engine, AuthenticationStateProvider authentication, AdminGate gate, IHttpContextAccessor http)
{
    public GarbageCollector Collector => collector;

    public async Task<(GcRunRecord? Run, string? Error, GcWaiting? Waiting)> PreviewAsync(bool deleteUntagged) =>
        await RunAsync("gc.preview", caller => collector.PreviewAsync(deleteUntagged, caller, CancellationToken.None));

    public async Task<(GcRunRecord? Run, string? Error, GcWaiting? Waiting)> CollectAsync(long previewRunId) =>
        await RunAsync("gc.collect", caller => collector.CollectAsync(previewRunId, caller, CancellationToken.None));

    public async Task<bool> CancelAsync() =>
        await gate.AllowsAsync((await authentication.GetAuthenticationStateAsync()).User, "gc.cancel") && await collector.CancelAsync(CancellationToken.None);

    public Task<Page<GcRunRecord>> HistoryAsync(int skip, int take) =>
        engine.RunAsync<GcReports, Page<GcRunRecord>>(r => r.HistoryPageAsync(skip, take, CancellationToken.None));

    public Task<Page<GcItem>> ItemsAsync(long runId, int skip, int take) =>
        engine.RunAsync<GcReports, Page<GcItem>>(r => r.ItemPageAsync(runId, skip, take, CancellationToken.None));

    /// <summary>What open upload sessions hold in the store, across every repository (the page is the Admin's).</summary>
    public Task<UploadSessionStatistics> UploadsAsync() =>
        engine.RunAsync<UploadSessionStatisticsQuery, UploadSessionStatistics>(q => q.GetAsync(CancellationToken.None));

    private async Task<(GcRunRecord? Run, string? Error, GcWaiting? Waiting)> RunAsync(string action, Func<RegistryCaller, Task<GcRunResult>> run)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var name = AdminGate.ActorName(user);
        if (!await gate.AllowsAsync(user, action)) return (null, "Only an Admin may run garbage collection.", null);
        var caller = new RegistryCaller(name, http.HttpContext?.Connection.RemoteIpAddress?.ToString());
        try
        {
            // Off the circuit's thread: the page keeps rendering progress while the collection runs.
            var result = await Task.Run(() => run(caller));
            return (result.Run, result.Run.Error, result.Mark?.Waiting);
        }
        catch (GcBusyException e)
        {
            return (null, e.Message, null);
        }
    }
}
