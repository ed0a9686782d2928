namespace Wharf.Bench.HotPaths;

/// <summary>
/// The sizes of every workload: the (full) or tiny ones (smoke, a run of seconds that proves the script
/// still works end to end; its figures mean nothing).
/// </summary>
public sealed record BenchSizes(
    bool Smoke,
    TimeSpan WrkDuration,
    int WrkConnections,
    long DiskProbe,
    int GetRounds,
    long PullBlob,
    int PullConnections,
    TimeSpan PullDuration,
    long PushBlob,
    int PushChunk,
    int PushRounds,
    int ImageLayers,
    int ImageLayerSize,
    int PopulateRepositories,
    int PopulateTags,
    int PopulateThreads,
    int CatalogRepositories,
    int ListedTags,
    int TokenPulls)
{
    public static readonly BenchSizes Full = new(
        Smoke: false,
        WrkDuration: TimeSpan.FromSeconds(10),
        WrkConnections: 32,
        DiskProbe: 256L << 20,
        GetRounds: 3,
        PullBlob: 20L << 20,
        PullConnections: 200,
        PullDuration: TimeSpan.FromSeconds(15),
        PushBlob: 256L << 20,
        PushChunk: 8 << 20,
        PushRounds: 3,
        ImageLayers: 4,
        ImageLayerSize: 24 << 20,
        PopulateRepositories: 2000,
        PopulateTags: 5,
        PopulateThreads: 8,
        CatalogRepositories: 10_000,
        ListedTags: 5_000,
        TokenPulls: 50);

    public static readonly BenchSizes SmokeTest = new(
        Smoke: true,
        WrkDuration: TimeSpan.FromSeconds(1),
        WrkConnections: 4,
        DiskProbe: 1L << 20,
        GetRounds: 1,
        PullBlob: 256L << 10,
        PullConnections: 8,
        PullDuration: TimeSpan.FromSeconds(1),
        PushBlob: 2L << 20,
        PushChunk: 1 << 20,
        PushRounds: 1,
        ImageLayers: 2,
        ImageLayerSize: 64 << 10,
        PopulateRepositories: 8,
        PopulateTags: 2,
        PopulateThreads: 4,
        CatalogRepositories: 50,
        ListedTags: 20,
        TokenPulls: 3);

    public static string Mib(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
}
