using Wharf.Registry.Import;

namespace Wharf.Portal.Hosting;

/// <summary>
/// <c>wharf import [--merge]</c> and <c>wharf export</c>: distribution's link files into Wharf's metadata and back.
/// Both run on the engine alone (<see cref="RegistryCommandHost"/>); docs/migration.md says when to run them.
/// </summary>
public static class DistributionCommands
{
    public const string MergeFlag = "--merge";
    /// <summary>Record blobs without hashing them; the first read of each verifies it (docs/security.md).</summary>
    public const string DeferVerificationFlag = "--defer-verification";

    public static async Task<int> ImportAsync(string[] hostArgs, string? configPath, bool merge, TextWriter output, TextWriter error, bool deferVerification = false)
    {
        await using var host = RegistryCommandHost.Build(hostArgs, configPath);
        await host.MigrateAsync(CancellationToken.None);
        await using var scope = host.Services.CreateAsyncScope();
        try
        {
            var report = await scope.ServiceProvider.GetRequiredService<DistributionImporter>().ImportAsync(merge, CancellationToken.None, deferVerification);
            await output.WriteLineAsync($"imported {report.Repositories} repositories, {report.Manifests} manifests, {report.Tags} tags, {report.Layers} layer links ({report.Skipped} entries skipped"
                + (merge ? $", {report.KeptNewer} kept as Wharf has them because Wharf's state is newer)" : ")")
                + (deferVerification ? "; blobs not verified yet: each is hashed against its digest on its first read" : ""));
            return 0;
        }
        catch (ImportRefusedException e)
        {
            await error.WriteLineAsync($"wharf import: refused: {e.Message}");
            return 2;
        }
    }

    public static async Task<int> ExportAsync(string[] hostArgs, string? configPath, TextWriter output, TextWriter error)
    {
        await using var host = RegistryCommandHost.Build(hostArgs, configPath);
        await host.MigrateAsync(CancellationToken.None);
        await using var scope = host.Services.CreateAsyncScope();
        try
        {
            var report = await scope.ServiceProvider.GetRequiredService<DistributionExporter>().ExportAsync(CancellationToken.None);
            await output.WriteLineAsync($"exported {report.Repositories} repositories, {report.Tags} tags, {report.Revisions} manifest revisions, {report.Layers} layer links: {report.Written} link files written, {report.Removed} removed");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"wharf export: {e.Message}");
            return 1;
        }
    }
}
