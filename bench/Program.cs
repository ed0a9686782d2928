using Wharf.Bench;
using Wharf.Bench.HotPaths;

// bench/run.sh: every hot path, Wharf against distribution 2.8 (Debian's docker-registry) and nginx, in one run and
// one table (bench/run.sh --smoke: tiny sizes, seconds, to prove the script works).
// bench/proxy.sh: the pull-through cache instead (direct pulls from an upstream against pulls through Wharf).
// bench/profile.sh WORKLOAD: one hot path under load while dotnet-trace samples Wharf.
// bench/gc.sh: garbage collection time on generated data instead (Wharf's and distribution's garbage-collect).
if (args.Length > 0 && args[0] == "proxy")
    return await ProxyBench.RunAsync(args.Length > 1 && int.TryParse(args[1], out var proxyRounds) ? proxyRounds : 3);
// bench/portal.sh: the portal at scale in Chromium (time to usable, per sort or page change).
if (args.Length > 0 && args[0] == "portal")
    return await PortalBench.RunAsync(args.Length > 1 && int.TryParse(args[1], out var portalRounds) ? portalRounds : 3, args.Contains("--sql"));
if (args.Length > 2 && args[0] == "profile")
    return await ProfileRun.RunAsync(args[1], args[2], TimeSpan.FromSeconds(args.Length > 3 ? int.Parse(args[3]) : 15));
// bench/storage.sh: the storage back ends (filesystem, S3, Azure) against distribution on the filesystem instead.
if (args.Length > 0 && args[0] == "storage")
    return await StorageBench.RunAsync(args.Length > 1 && int.TryParse(args[1], out var storageRounds) ? storageRounds : 1);
// bench/cluster.sh: several instances behind nginx, and the populate on SQLite and PostgreSQL.
if (args.Length > 0 && args[0] == "cluster")
{
    var clusterResults = Array.IndexOf(args, "--results");
    return await ClusterBench.RunAsync(args.Contains("--smoke"), clusterResults > 0 && clusterResults + 1 < args.Length ? args[clusterResults + 1] : null);
}
if (args.Length > 0 && args[0] == "gc")
    return await GcBenchmark.RunAsync(args[1..]);

var smoke = args.Contains("--smoke");
var resultsIndex = Array.IndexOf(args, "--results");
var results = resultsIndex >= 0 && resultsIndex + 1 < args.Length ? args[resultsIndex + 1] : null;
var onlyIndex = Array.IndexOf(args, "--only");
var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',').ToHashSet() : null;
var sizes = smoke ? BenchSizes.SmokeTest : BenchSizes.Full;
// --populate N (with --only populate): the populate with N repositories instead of 2,000, over a small seeded
// catalog, for working on the write path when a full run would take too long; its table is not a result.
var populateIndex = Array.IndexOf(args, "--populate");
if (populateIndex >= 0 && populateIndex + 1 < args.Length)
{
    sizes = sizes with { PopulateRepositories = int.Parse(args[populateIndex + 1]), CatalogRepositories = 100, ListedTags = 10 };
    results = null;
}
return await HotPathBenchmark.RunAsync(sizes, results, only);
