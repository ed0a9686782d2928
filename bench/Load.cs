using System.Diagnostics;

namespace Wharf.Bench;

/// <summary>A fixed-duration HTTP load from a few concurrent clients on loopback; bounded in time, stops by itself.</summary>
public static class Load
{
    public static async Task<double> RequestsPerSecondAsync(HttpClient client, string path, int clients, TimeSpan duration)
    {
        var (count, _, elapsed) = await RunAsync(client, path, clients, duration);
        return count / elapsed.TotalSeconds;
    }

    public static async Task<double> ThroughputAsync(HttpClient client, string path, int clients, TimeSpan duration)
    {
        var (_, bytes, elapsed) = await RunAsync(client, path, clients, duration);
        return bytes / (1024.0 * 1024.0) / elapsed.TotalSeconds;
    }

    private static async Task<(long Count, long Bytes, TimeSpan Elapsed)> RunAsync(HttpClient client, string path, int clients, TimeSpan duration)
    {
        long count = 0, bytes = 0;
        var watch = Stopwatch.StartNew();
        var buffer = new byte[1 << 20];
        async Task Worker()
        {
            var local = new byte[1 << 20];
            while (watch.Elapsed < duration)
            {
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                await using var stream = await response.Content.ReadAsStreamAsync();
                int read;
                long got = 0;
                while ((read = await stream.ReadAsync(local)) > 0) got += read;
                Interlocked.Add(ref bytes, got);
                Interlocked.Increment(ref count);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Worker)));
        return (count, bytes, watch.Elapsed);
    }
}
