using System.Globalization;

namespace Wharf.Bench.HotPaths;

/// <summary>A process's resident memory and CPU time, read from /proc (Linux).</summary>
public static class ProcessStats
{
    /// <summary>Resident set size now, in bytes (VmRSS).</summary>
    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>User plus system CPU time the process has used so far (utime + stime of /proc/PID/stat).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: the fields after it start past the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ: 100 on every Linux architecture .NET runs on (sysconf(_SC_CLK_TCK)).</summary>
    private const int ClockTicksPerSecond = 100;
}

/// <summary>Samples a process's RSS every 50 ms until disposed; keeps the highest value seen.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public RssSampler(int pid)
    {
        Start = ProcessStats.Rss(pid);
        _peak = Start;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token)) _peak = Math.Max(_peak, ProcessStats.Rss(pid));
            }
            catch (OperationCanceledException) { }
        });
    }

    public long Start { get; }
    public long Peak => _peak;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
