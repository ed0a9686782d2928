using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;
using Wharf.Registry.Configuration;
using Wharf.Registry.Events;
using Wharf.Registry.Maintenance;
using Wharf.Registry.Metadata;
using Wharf.Registry.Storage;

namespace Wharf.Registry.Gc;

public enum GcPhase
{
    PurgingUploads,
    Marking,
    ScanningStore,
    Recording,
    SweepingManifests,
    SweepingBlobs,
}

/// <summary>
/// Where the running collection is: its phase and, where it can tell, items done of total (0: not known); the
/// instance running it when read from the database (another instance's run).
/// </summary>
public sealed record GcProgress(long RunId, GcMode Mode, GcPhase Phase, long Done, long Total, DateTime StartedAt, string? Instance = null);

/// <summary>A finished run; the mark's detail too when this run marked (the command line prints it).</summary>
public sealed record GcRunResult(GcRunRecord Run, GcMarkResult? Mark);

/// <summary>Thrown when a collection is asked for while another one runs, in this process or another sharing the metadata.</summary>
public sealed class GcBusyException() : InvalidOperationException("a garbage collection is already running");

/// <summary>
/// Runs garbage collection while the registry serves: a preview (dry run) that stores a reviewable report, a collect
/// of a reviewed preview, or a mark-and-sweep in one go (the command line, the schedule). One run at a time across
/// every process sharing the metadata (the "gc" <see cref="ClusterLeases">lease</see>); live progress, cancellation,
/// a stored record of every run, and an engine event for the audit trail. The running collection writes its progress
/// to its run's row every <see cref="GarbageCollectionOptions.ProgressInterval"/> and reads the row's cancel flag
/// then, so any instance sees it (<see cref="RunningAsync"/>) and can stop it (<see cref="CancelAsync"/>).
/// </summary>
public sealed partial class GarbageCollector(
    IServiceScopeFactory scopes,
    IDbContextFactory<RegistryDbContext> contexts,
    ThisInstance self,
    ClusterLeases leases,
    UploadPurger uploadPurger,
    IOptions<GarbageCollectionOptions> options,
    IOptions<RegistryOptions> registryOptions,
    IRegistryEventSink events,
    StorageReserve reserve,
    ILogger<GarbageCollector> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Stopwatch _phaseClock = new();
    private CancellationTokenSource? _cancel;
    private GcProgress? _progress;

    /// <summary>The running collection's progress, or null when none runs.</summary>
    public GcProgress? Progress => Volatile.Read(ref _progress);

    /// <summary>Raised on every progress step, on the collection's thread: keep handlers short.</summary>
    public event Action<GcProgress>? ProgressChanged;

    /// <summary>Asks the running collection of this instance to stop after the batch in hand; false when none runs here.</summary>
    public bool Cancel()
    {
        var cancel = Volatile.Read(ref _cancel);
        if (cancel is null) return false;
        cancel.Cancel();
        return true;
    }

    /// <summary>Whether this instance's running collection was asked to stop (here or from another instance).</summary>
    public bool CancelRequested => Volatile.Read(ref _cancel)?.IsCancellationRequested ?? false;

    /// <summary>
    /// Asks the running collection to stop, whichever instance runs it: this one at once, another one at its next
    /// progress write. False when no collection runs.
    /// </summary>
    public async Task<bool> CancelAsync(CancellationToken cancellationToken)
    {
        if (Cancel()) return true;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.GcRuns.Where(r => r.State == GcRunState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequestedAt, DateTime.UtcNow), cancellationToken) > 0;
    }

    /// <summary>The running collection's progress, on this instance or (as last written) on another; null when none runs.</summary>
    public async Task<GcProgress?> RunningAsync(CancellationToken cancellationToken)
    {
        if (Progress is { } local) return local;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.GcRuns.AsNoTracking().Where(r => r.State == GcRunState.Running).OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        return run is null ? null : new GcProgress(run.Id, run.Mode, run.Phase ?? GcPhase.PurgingUploads, run.ProgressDone ?? 0, run.ProgressTotal ?? 0, run.StartedAt, run.Instance);
    }

    /// <summary>A dry run: marks, stores the report (run and items) and deletes nothing.</summary>
    public Task<GcRunResult> PreviewAsync(bool deleteUntagged, RegistryCaller caller, CancellationToken cancellationToken) =>
        StartAsync(GcMode.Preview, deleteUntagged, caller, null, cancellationToken);

    /// <summary>Deletes what a stored preview listed and is still eligible now (each item is re-checked).</summary>
    public Task<GcRunResult> CollectAsync(long previewRunId, RegistryCaller caller, CancellationToken cancellationToken) =>
        StartAsync(GcMode.Collect, false, caller, previewRunId, cancellationToken);

    /// <summary>Marks and sweeps in one go.</summary>
    public Task<GcRunResult> RunAsync(bool deleteUntagged, RegistryCaller caller, CancellationToken cancellationToken) =>
        StartAsync(GcMode.Collect, deleteUntagged, caller, null, cancellationToken);

    /// <summary>
    /// Runs the collection on the thread pool and hands the caller its task at once. Microsoft.Data.Sqlite has no
    /// asynchronous I/O: every "async" call of a run on SQLite completes synchronously, so without this the caller's
    /// thread (a schedule's, a request's) would carry the whole collection, up to its first real wait, before it got
    /// the task back, and whatever that caller does meanwhile (watch the progress, take a cancel) would wait with it.
    /// </summary>
    /// <remarks>
    /// This process's gate is taken here, on the caller's thread, so a second run asked for while one runs is refused
    /// at once: taken on the pool thread, a busy pool could start it only after the first had ended.
    /// </remarks>
    private Task<GcRunResult> StartAsync(GcMode mode, bool deleteUntagged, RegistryCaller caller, long? previewRunId, CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0, CancellationToken.None)) return Task.FromException<GcRunResult>(new GcBusyException());
        return Task.Run(() => ExecuteAsync(mode, deleteUntagged, caller, previewRunId, cancellationToken), CancellationToken.None);
    }

    /// <summary>Runs with this process's gate held (<see cref="StartAsync"/>), and releases it on every way out.</summary>
    private async Task<GcRunResult> ExecuteAsync(GcMode mode, bool deleteUntagged, RegistryCaller caller, long? previewRunId, CancellationToken cancellationToken)
    {
        IAsyncDisposable? lease;
        try
        {
            lease = await leases.TryAcquireAsync("gc", cancellationToken);
        }
        catch
        {
            _gate.Release();
            throw;
        }
        if (lease is null)
        {
            _gate.Release();
            throw new GcBusyException();
        }
        await using var heldLease = lease;
        // On a full disk the run must still be recorded: release the reserve if needed (remade after the run).
        reserve.ReleaseIfLow();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Volatile.Write(ref _cancel, cancel);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var db = services.GetRequiredService<RegistryDbContext>();
            var reports = services.GetRequiredService<GcReports>();
            if (previewRunId is { } previewId)
            {
                var preview = await reports.FindRunAsync(previewId, cancellationToken);
                if (preview is not { Mode: GcMode.Preview, State: GcRunState.Completed })
                    throw new ArgumentException($"run {previewId} is not a completed preview", nameof(previewRunId));
                deleteUntagged = preview.DeleteUntagged;
            }
            // This run holds the lease, so a run still recorded as running is one whose holder died (its lease ended).
            await reports.MarkInterruptedAsync(DateTime.UtcNow, cancellationToken);
            // Recorded with the instance that runs it, so another instance shows the run as someone else's from the start.
            var run = await reports.StartRunAsync(mode, deleteUntagged, caller.User ?? caller.Address ?? "anonymous", previewRunId, self.Id, cancellationToken);
            var clock = Stopwatch.StartNew();
            GcMarkResult? mark = null;
            using var publishing = new CancellationTokenSource();
            var publisher = PublishProgressAsync(run.Id, cancel, publishing.Token);
            try
            {
                mark = await WorkAsync(run, db, reports, services, cancel.Token);
                run.State = GcRunState.Completed;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                run.State = GcRunState.Cancelled;
            }
            catch (Exception e)
            {
                run.State = GcRunState.Failed;
                run.Error = e.Message;
                LogFailed(logger, e, run.Id);
            }
            await publishing.CancelAsync();
            await publisher;
            if (Volatile.Read(ref _progress) is { } last) LogPhase(logger, run.Id, last.Phase, _phaseClock.Elapsed.TotalSeconds);
            run.FinishedAt = DateTime.UtcNow;
            await reports.FinishRunAsync(run, CancellationToken.None);
            Announce(run, caller, clock.Elapsed);
            return new GcRunResult(run, mark);
        }
        finally
        {
            Volatile.Write(ref _progress, null);
            Volatile.Write(ref _cancel, null);
            _gate.Release();
            reserve.Ensure();
        }
    }

    /// <summary>
    /// Writes the progress to the run's row and reads its cancel flag, every progress interval, until stopped. A
    /// failed write is logged and tried again at the next interval: the collection itself goes on.
    /// </summary>
    private async Task PublishProgressAsync(long runId, CancellationTokenSource cancel, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Value.ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await using var db = await contexts.CreateDbContextAsync(stop);
                    var row = db.GcRuns.Where(r => r.Id == runId);
                    if (Volatile.Read(ref _progress) is { } p)
                    {
                        var now = DateTime.UtcNow;
                        await row.ExecuteUpdateAsync(s => s.SetProperty(r => r.Instance, self.Id).SetProperty(r => r.Phase, (GcPhase?)p.Phase)
                            .SetProperty(r => r.ProgressDone, (long?)p.Done).SetProperty(r => r.ProgressTotal, (long?)p.Total).SetProperty(r => r.ProgressAt, now), stop);
                    }
                    if (await row.AnyAsync(r => r.CancelRequestedAt != null, stop) && !cancel.IsCancellationRequested)
                    {
                        LogCancelledElsewhere(logger, runId);
                        await cancel.CancelAsync();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogProgressWriteFailed(logger, runId, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>The run's phases; fills in the run's counts as it goes so a cancelled run still says what it did.</summary>
    private async Task<GcMarkResult?> WorkAsync(GcRunRecord run, RegistryDbContext db, GcReports reports, IServiceProvider services, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = DateTime.UtcNow;
        var cutoff = now - settings.GracePeriod;

        // Abandoned upload sessions go in the same run (unless storage.maintenance.uploadpurging is disabled).
        Report(run, GcPhase.PurgingUploads, 0, 0);
        if (registryOptions.Value.UploadPurgingEnabled)
            run.PurgedUploads = await uploadPurger.PurgeAsync(now, run.Mode == GcMode.Preview, cancellationToken);

        GcMarkResult? mark = null;
        IReadOnlyList<GcItem> manifests, blobs;
        if (run.PreviewRunId is { } previewId)
        {
            var items = await reports.LoadItemsAsync(previewId, cancellationToken);
            manifests = items.Where(i => i.Kind == GcItemKind.Manifest).ToList();
            blobs = items.Where(i => i.Kind == GcItemKind.Blob).ToList();
        }
        else
        {
            var marker = new GcMarker(db, services.GetRequiredService<IBlobStorage>());
            mark = await marker.MarkAsync(run.DeleteUntagged, cutoff, settings.GracePeriod, (phase, done) => Report(run, phase, done, 0), cancellationToken);
            (manifests, blobs) = (mark.Manifests, mark.Blobs);
        }
        run.EligibleManifests = manifests.Count;
        run.EligibleBlobs = blobs.Count;
        run.ReclaimableBytes = blobs.Sum(b => b.ReclaimableBytes);
        var all = manifests.Concat(blobs).ToList();

        if (run.Mode == GcMode.Preview)
        {
            Report(run, GcPhase.Recording, 0, all.Count);
            await reports.SaveItemsAsync(run.Id, all, null, cancellationToken);
            return mark;
        }

        var outcomes = new GcItemOutcome?[all.Count];
        var blobOutcomes = new GcItemOutcome?[blobs.Count];
        var sweeper = new GcSweeper(db, services.GetRequiredService<BlobStore>(), settings.SweepBatchSize);
        // Each sweep transaction that committed may have removed what a cache holds: drop it (GC runs are rare).
        var listeners = services.GetServices<Caching.IRegistryChangeListener>().ToArray();
        void Swept() { foreach (var listener in listeners) listener.EverythingChanged(); }
        long done = 0;
        try
        {
            // The cutoff stays the one taken at the start: anything touched since is younger still, and kept.
            Report(run, GcPhase.SweepingManifests, 0, all.Count);
            await sweeper.SweepManifestsAsync(manifests, outcomes, cutoff, n => { Swept(); Report(run, GcPhase.SweepingManifests, done += n, all.Count); }, cancellationToken);
            Report(run, GcPhase.SweepingBlobs, done, all.Count);
            run.FreedBytes = await sweeper.SweepBlobsAsync(blobs, blobOutcomes, cutoff, n => { Swept(); Report(run, GcPhase.SweepingBlobs, done += n, all.Count); }, cancellationToken);
        }
        finally
        {
            // Also when cancelled: the record says what was done before the stop.
            blobOutcomes.CopyTo(outcomes, manifests.Count);
            run.DeletedManifests = outcomes.Take(manifests.Count).Count(o => o == GcItemOutcome.Deleted);
            run.DeletedBlobs = blobOutcomes.Count(o => o == GcItemOutcome.Deleted);
            run.KeptOnRecheck = outcomes.Count(o => o == GcItemOutcome.Kept);
            Report(run, GcPhase.Recording, all.Count, all.Count);
            await reports.SaveItemsAsync(run.Id, all, outcomes, CancellationToken.None);
        }
        return mark;
    }

    private void Report(GcRunRecord run, GcPhase phase, long done, long total)
    {
        var previous = Volatile.Read(ref _progress);
        if (previous is null || previous.Phase != phase)
        {
            if (previous is not null) LogPhase(logger, run.Id, previous.Phase, _phaseClock.Elapsed.TotalSeconds);
            _phaseClock.Restart();
        }
        var progress = new GcProgress(run.Id, run.Mode, phase, done, total, run.StartedAt);
        Volatile.Write(ref _progress, progress);
        try
        {
            ProgressChanged?.Invoke(progress);
        }
        catch (Exception e)
        {
            LogProgressHandlerFailed(logger, e); // an observer never stops a collection
        }
    }

    private void Announce(GcRunRecord run, RegistryCaller caller, TimeSpan elapsed)
    {
        var kind = run.State switch
        {
            GcRunState.Completed when run.Mode == GcMode.Preview => RegistryEventKind.GarbageCollectionPreviewed,
            GcRunState.Completed => RegistryEventKind.GarbageCollected,
            GcRunState.Cancelled => RegistryEventKind.GarbageCollectionCancelled,
            _ => RegistryEventKind.GarbageCollectionFailed,
        };
        var detail = run.Mode == GcMode.Preview
            ? $"run {run.Id} preview{(run.DeleteUntagged ? " --delete-untagged" : "")}: {run.EligibleManifests} manifests and {run.EligibleBlobs} blobs eligible, {run.ReclaimableBytes} bytes reclaimable, {run.PurgedUploads} upload sessions to purge, {elapsed.TotalSeconds:F1} s"
            : $"run {run.Id} collect{(run.DeleteUntagged ? " --delete-untagged" : "")}{(run.PreviewRunId is { } p ? $" of preview {p}" : "")}: deleted {run.DeletedManifests} manifests and {run.DeletedBlobs} blobs, freed {run.FreedBytes} bytes, kept {run.KeptOnRecheck} in use again, purged {run.PurgedUploads} upload sessions, {elapsed.TotalSeconds:F1} s";
        if (run.Error is not null) detail += $"; {run.State.ToString().ToLowerInvariant()}: {run.Error}";
        else if (run.State != GcRunState.Completed) detail += $"; {run.State.ToString().ToLowerInvariant()}";
        LogRun(logger, detail);
        events.Publish(new RegistryEvent(kind, "", caller) { Size = run.Mode == GcMode.Preview ? run.ReclaimableBytes : run.FreedBytes, Detail = detail });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection run {RunId} was asked to stop from another instance")]
    private static partial void LogCancelledElsewhere(ILogger logger, long runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Garbage collection run {RunId}: could not write its progress: {Message}")]
    private static partial void LogProgressWriteFailed(ILogger logger, long runId, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Garbage collection run {RunId}: {Phase} took {Seconds:F2} s")]
    private static partial void LogPhase(ILogger logger, long runId, GcPhase phase, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection {Detail}")]
    private static partial void LogRun(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Garbage collection run {RunId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, long runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A garbage collection progress observer failed")]
    private static partial void LogProgressHandlerFailed(ILogger logger, Exception exception);
}
