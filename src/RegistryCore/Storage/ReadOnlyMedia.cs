namespace Wharf.Registry.Storage;

/// <summary>
/// Whether a directory's file system takes writes: a file is created and deleted there, and EROFS (a read-only
/// mount, a read-only bind mount, an ext4 that remounted itself read-only after an I/O error) means it does not.
/// Permission errors are not read-only media: they are reported as they are, where they happen.
/// </summary>
public static class ReadOnlyMedia
{
    private const int Erofs = 30;

    public static bool IsReadOnly(string directory)
    {
        if (!Directory.Exists(directory)) return false;
        var probe = Path.Combine(directory, $".wharf-write-probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return false;
        }
        catch (IOException e) when (e.HResult == Erofs)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
