namespace Wharf.Tests.E2E.Infrastructure;

public static class RepositoryRoot
{
    public static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Portal.sln) above the test binaries");
    }

    /// <summary>The published Wharf binary the end-to-end tests start (./test.sh publishes it to artifacts/wharf).</summary>
    public static string WharfDll()
    {
        var path = Environment.GetEnvironmentVariable("WHARF_DLL") ?? Path.Combine(Find(), "artifacts", "wharf", "wharf.dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist; run ./test.sh (it publishes Wharf there before the end-to-end tests)");
    }
}
