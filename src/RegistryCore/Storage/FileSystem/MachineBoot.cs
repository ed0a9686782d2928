namespace Wharf.Registry.Storage.FileSystem;

/// <summary>
/// Which boot of which machine this process runs in (Linux's <c>/proc/sys/kernel/random/boot_id</c>, a random id
/// the kernel draws at every boot; containers share their host's). Bytes written to a file and not yet flushed live
/// in that boot's page cache: another process of the same boot reads them whatever happened to the writer, and a
/// crash of the machine may lose them, which a new boot id reveals.
/// </summary>
internal static class MachineBoot
{
    /// <summary>This boot's id, or null where the system does not tell (then every append is flushed to disk).</summary>
    public static string? Id { get; } = Read();

    private static string? Read()
    {
        try
        {
            var id = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return id.Length > 0 ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
