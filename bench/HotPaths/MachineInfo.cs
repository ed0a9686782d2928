using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>The machine a run measured: CPUs, memory, kernel, load, and its raw disk and hashing speed.</summary>
public static class MachineInfo
{
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public static async Task<string> DescribeAsync(string workDirectory, long ddBytes)
    {
        var text = new StringBuilder();
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var kernel = (await ExternalTool.RunAsync("uname", ["-sr"])).Output.Trim();
        text.AppendLine(CultureInfo.InvariantCulture, $"- CPUs: {Environment.ProcessorCount} ({cpu})");
        text.AppendLine(CultureInfo.InvariantCulture, $"- memory: {long.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024.0:0.0} GiB");
        text.AppendLine(CultureInfo.InvariantCulture, $"- kernel: {kernel}; .NET {Environment.Version}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- load average at start (1, 5, 15 min): {LoadAverage()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- `dd conv=fsync` of {BenchSizes.Mib(ddBytes)}: {await DdAsync(workDirectory, ddBytes):0} MB/s; SHA-256 on one core: {Sha256Speed(ddBytes):0} MB/s");
        return text.ToString();
    }

    private static async Task<double> DdAsync(string workDirectory, long bytes)
    {
        var file = Path.Combine(workDirectory, "dd.bin");
        var clock = Stopwatch.StartNew();
        var result = await ExternalTool.RunAsync("dd", ["if=/dev/zero", $"of={file}", "bs=1M", $"count={bytes >> 20}", "conv=fsync"]);
        var seconds = clock.Elapsed.TotalSeconds;
        File.Delete(file);
        if (result.ExitCode != 0) throw new InvalidOperationException($"dd failed: {result.All}");
        return bytes / 1e6 / seconds;
    }

    private static double Sha256Speed(long bytes)
    {
        var block = new byte[1 << 20];
        new Random(1).NextBytes(block);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var clock = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += block.Length) hash.AppendData(block);
        hash.GetHashAndReset();
        return bytes / 1e6 / clock.Elapsed.TotalSeconds;
    }
}
