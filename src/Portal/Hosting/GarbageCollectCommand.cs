using Microsoft.Extensions.Options;
using Wharf.Registry;
using Wharf.Registry.Gc;
using Wharf.Registry.Metadata;

namespace Wharf.Portal.Hosting;

/// <summary>
/// <c>wharf garbage-collect [--dry-run] [--delete-untagged] config.yml</c>, in the reference registry's form and with
/// its output lines (what it marks, <c>manifest eligible for deletion: …</c>, the count line, <c>blob eligible for
/// deletion: …</c>), then one summary line of Wharf's own. Unlike the reference it is safe while a Wharf serves the
/// same store: it goes through the same online collector as the schedule and the portal.
/// </summary>
public static class GarbageCollectCommand
{
    public static readonly string[] DryRunFlags = ["--dry-run", "-d"];
    public static readonly string[] DeleteUntaggedFlags = ["--delete-untagged", "-m"];

    public static bool IsFlag(string argument) => DryRunFlags.Contains(argument) || DeleteUntaggedFlags.Contains(argument);

    public static async Task<int> RunAsync(string[] hostArgs, string? configPath, IReadOnlyCollection<string> flags, TextWriter output,
        Action<HostApplicationBuilder>? customize = null)
    {
        var dryRun = flags.Any(DryRunFlags.Contains);
        var deleteUntagged = flags.Any(DeleteUntaggedFlags.Contains);
        // The engine alone: no web host, no portal (see RegistryCommandHost); logs go to standard error, so standard
        // output carries the report alone, as the reference's does.
        await using var app = RegistryCommandHost.Build(hostArgs, configPath, customize);
        try
        {
            _ = app.Services.GetRequiredService<IOptions<GarbageCollectionOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }
        // The run is audited; the portal's database is opened meanwhile, so recording it costs the report next to nothing.
        app.PrepareAudit(CancellationToken.None);
        // A registry:2 directory Wharf has not served yet is imported first: with empty metadata everything would look
        // unreferenced.
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RegistryDatabaseInitializer>().InitializeAsync(importDistributionData: true, CancellationToken.None);

        var collector = app.Services.GetRequiredService<GarbageCollector>();
        var caller = new RegistryCaller(Environment.UserName, "command line");
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        var result = dryRun
            ? await collector.PreviewAsync(deleteUntagged, caller, interrupt.Token)
            : await collector.RunAsync(deleteUntagged, caller, interrupt.Token);
        if (result.Mark is { } mark) await PrintMarkAsync(mark, output);

        var run = result.Run;
        var seconds = (run.FinishedAt - run.StartedAt)?.TotalSeconds;
        await output.WriteLineAsync(run.Mode == GcMode.Preview
            ? $"dry run {run.Id}: {run.EligibleManifests} manifests and {run.EligibleBlobs} blobs eligible for deletion, {run.ReclaimableBytes} bytes reclaimable, {run.PurgedUploads} abandoned upload sessions; report stored, in {seconds:F2} s"
            : $"run {run.Id}: deleted {run.DeletedManifests} manifests and {run.DeletedBlobs} blobs, freed {run.FreedBytes} bytes, {run.KeptOnRecheck} kept as in use again, purged {run.PurgedUploads} abandoned upload sessions, in {seconds:F2} s");
        await output.FlushAsync();
        await app.WriteAuditAsync(CancellationToken.None);
        if (run.State == GcRunState.Completed) return 0;
        await Console.Error.WriteLineAsync($"garbage collection {run.State.ToString().ToLowerInvariant()}{(run.Error is null ? "" : ": " + run.Error)}");
        return 1;
    }

    /// <summary>The reference's lines: per repository its kept manifests and, the first time each is seen, their blobs.</summary>
    private static async Task PrintMarkAsync(GcMarkResult mark, TextWriter output)
    {
        var eligibleByRepository = mark.Manifests.ToLookup(m => m.Repositories[0]);
        var repositories = mark.Kept.Select(k => k.Repository).Concat(eligibleByRepository.Select(g => g.Key)).Distinct().Order(StringComparer.Ordinal);
        var keptByRepository = mark.Kept.ToLookup(k => k.Repository);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var repository in repositories)
        {
            await output.WriteLineAsync(repository);
            foreach (var manifest in keptByRepository[repository])
            {
                await output.WriteLineAsync($"{repository}: marking manifest {manifest.Digest} ");
                seen.Add(manifest.Digest);
                foreach (var reference in manifest.References)
                    if (seen.Add(reference)) await output.WriteLineAsync($"{repository}: marking blob {reference}");
            }
            foreach (var manifest in eligibleByRepository[repository])
                await output.WriteLineAsync($"manifest eligible for deletion: {manifest.Digest}");
        }
        await output.WriteLineAsync($"\n{mark.MarkedBlobs} blobs marked, {mark.Blobs.Count} blobs and {mark.Manifests.Count} manifests eligible for deletion");
        foreach (var blob in mark.Blobs) await output.WriteLineAsync($"blob eligible for deletion: {blob.Digest}");
        if (mark.Waiting is not { Any: true } waiting) return;
        foreach (var item in waiting.Items)
            await output.WriteLineAsync($"{(item.Kind == GcItemKind.Manifest ? "manifest" : "blob")} inside the grace period: {item.Digest}"
                + (item.Repository is null ? "" : $" in {item.Repository}")
                + $", {item.Bytes} bytes, " + (item.EligibleAt is { } at ? $"eligible from {at:yyyy-MM-ddTHH:mm:ssZ}" : "kept with a manifest inside the grace period"));
        await output.WriteLineAsync($"{waiting.Blobs} blobs ({waiting.Bytes} bytes) and {waiting.Manifests} manifests unreferenced but still inside the grace period: eligible from {waiting.FirstEligibleAt:yyyy-MM-ddTHH:mm:ssZ}, all by {waiting.LastEligibleAt:yyyy-MM-ddTHH:mm:ssZ}");
    }
}
