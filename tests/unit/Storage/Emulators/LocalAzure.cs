using Wharf.Registry.Storage.Azure;

namespace Wharf.Tests.Unit.Storage.Emulators;

/// <summary>One Azurite blob service for the whole test run; each test class works under its own root directory.</summary>
public static class LocalAzure
{
    public const string AccountName = "devstoreaccount1";
    /// <summary>Azurite's published development account key (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task<EmulatorProcess>> Server = new(() => EmulatorProcess.StartAsync("azurite-blob",
        (dir, port) => $"--location {dir} --blobHost 127.0.0.1 --blobPort {port} --silent --skipApiVersionCheck --loose"));

    public static async Task<AzureStorageOptions> OptionsAsync(string? rootDirectory = null, string container = "wharf-tests") => new()
    {
        AccountName = AccountName,
        AccountKey = AccountKey,
        Container = container,
        ServiceUrl = $"http://127.0.0.1:{(await Server.Value).Port}/{AccountName}",
        RootDirectory = rootDirectory ?? $"tests/{Guid.NewGuid():N}",
        ChunkSize = 1 << 20,
    };
}
