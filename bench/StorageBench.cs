using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// bench/storage.sh: Wharf on each storage back end (filesystem, S3 on s3rver, Azure on Azurite) against distribution
/// 2.8 on the filesystem, in one run: push and pull of one 256 MiB blob (one streamed PATCH, as Docker sends a layer,
/// then PUT ?digest=), a skopeo round trip of a 3-layer image, and on the object stores the pull with the 307 redirect
/// (the default) against the pull streamed through Wharf (storage.redirect.disable). Figures and ratios to distribution.
/// </summary>
public static class StorageBench
{
    private const int BlobSize = 256 << 20;

    public static async Task<int> RunAsync(int rounds)
    {
        using var temp = new TempDirectory("wharf-storage-bench");
        var blobFile = temp.Combine("blob-256m");
        var digest = await WriteRandomAsync(blobFile, BlobSize);
        var layout = new OciLayout(temp.Combine("images"));
        for (var i = 0; i < rounds; i++) layout.AddImage($"img{i}", Enumerable.Range(0, 3).Select(l => (Seed: 500 * (i + 1) + l, Size: 16 << 20)));

        var s3 = await S3Store.StartAsync();
        var azure = await AzureStore.StartAsync();
        await using var distribution = await DistributionRegistry.StartAsync(temp.Combine("distribution"), temp.Path);
        var rows = new List<(string Target, string HostPort, string? StreamingHostPort)>();
        var processes = new List<WharfProcess>();
        async Task<WharfProcess> Wharf(string name, string? storageYaml, bool redirectDisabled = false, string? state = null)
        {
            var environment = new Dictionary<string, string>
            {
                ["Wharf__Auth__Mode"] = "none", // like for like: the reference registry runs without authentication
                ["Wharf__DataDirectory"] = state ?? temp.Combine(name, "state"),
            };
            string? config = null;
            if (storageYaml is not null)
            {
                config = temp.Combine($"{name}.yml");
                await File.WriteAllTextAsync(config, $"version: 0.1\nstorage:\n{storageYaml}\n  redirect:\n    disable: {(redirectDisabled ? "true" : "false")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5000\n");
            }
            var process = new WharfProcess(temp.Combine(name), environment, configFile: config);
            await process.StartAsync();
            processes.Add(process);
            return process;
        }
        try
        {
            rows.Add(("distribution (filesystem)", distribution.HostPort, null));
            rows.Add(("wharf filesystem", (await Wharf("wharf-fs", null)).HostPort, null));
            var wharfS3 = await Wharf("wharf-s3", s3.StorageYaml);
            var streamingS3 = await Wharf("wharf-s3-stream", s3.StorageYaml, redirectDisabled: true, state: temp.Combine("wharf-s3", "state"));
            rows.Add(("wharf s3 (s3rver)", wharfS3.HostPort, streamingS3.HostPort));
            var wharfAzure = await Wharf("wharf-azure", azure.StorageYaml);
            var streamingAzure = await Wharf("wharf-azure-stream", azure.StorageYaml, redirectDisabled: true, state: temp.Combine("wharf-azure", "state"));
            rows.Add(("wharf azure (azurite)", wharfAzure.HostPort, streamingAzure.HostPort));

            var figures = new Dictionary<string, Dictionary<string, double>>();
            foreach (var (target, hostPort, streaming) in rows)
            {
                var f = figures[target] = new();
                using var http = new HttpClient { BaseAddress = new Uri($"http://{hostPort}"), Timeout = TimeSpan.FromMinutes(10) };
                var push = new List<double>();
                var pull = new List<double>();
                for (var i = 0; i < rounds; i++)
                {
                    var repository = $"bench/blob{i}";
                    push.Add(await TimeAsync(() => PushBlobAsync(http, repository, blobFile, digest)));
                    pull.Add(await TimeAsync(() => PullBlobAsync(http, repository, digest)));
                }
                f["push 256 MiB blob (s)"] = Median(push);
                f["pull 256 MiB blob (s)"] = Median(pull);
                if (streaming is not null)
                {
                    using var through = new HttpClient { BaseAddress = new Uri($"http://{streaming}"), Timeout = TimeSpan.FromMinutes(10) };
                    var streamed = new List<double>();
                    for (var i = 0; i < rounds; i++) streamed.Add(await TimeAsync(() => PullBlobAsync(through, $"bench/blob{i}", digest)));
                    f["pull 256 MiB, redirect off (s)"] = Median(streamed);
                }
                var imagePush = new List<double>();
                var imagePull = new List<double>();
                for (var i = 0; i < rounds; i++)
                {
                    imagePush.Add(await TimeAsync(() => ExternalTool.SkopeoOkAsync("copy", "--dest-tls-verify=false", $"oci:{layout.Directory}:img{i}", $"docker://{hostPort}/bench/img{i}:1")));
                    var pulled = temp.Combine($"pulled-{i}-{Guid.NewGuid():N}");
                    imagePull.Add(await TimeAsync(() => ExternalTool.SkopeoOkAsync("copy", "--src-tls-verify=false", $"docker://{hostPort}/bench/img{i}:1", $"oci:{pulled}:x")));
                    Directory.Delete(pulled, true);
                }
                f["skopeo push 48 MiB image (s)"] = Median(imagePush);
                f["skopeo pull 48 MiB image (s)"] = Median(imagePull);
            }
            Print(figures, rounds);
            return 0;
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
        }
    }

    private static void Print(Dictionary<string, Dictionary<string, double>> figures, int rounds)
    {
        var reference = figures["distribution (filesystem)"];
        var metrics = figures.Values.SelectMany(f => f.Keys).Distinct().ToList();
        Console.WriteLine($"{"target",-28} {"metric",-34} {"seconds",9} {"vs distribution",16}");
        foreach (var (target, f) in figures)
        foreach (var metric in metrics.Where(f.ContainsKey))
        {
            var baseline = reference.TryGetValue(metric == "pull 256 MiB, redirect off (s)" ? "pull 256 MiB blob (s)" : metric, out var b) ? b : double.NaN;
            Console.WriteLine($"{target,-28} {metric,-34} {f[metric],9:F2} {f[metric] / baseline,16:F2}");
        }
        foreach (var (target, f) in figures)
            if (f.TryGetValue("pull 256 MiB, redirect off (s)", out var streamed))
                Console.WriteLine($"{target}: redirected pull / streamed pull = {f["pull 256 MiB blob (s)"] / streamed:F2}");
        Console.WriteLine($"(median of {rounds} rounds; times: lower is better; distribution 2.8 runs on the filesystem, its s3 driver cannot run against s3rver)");
    }

    private static async Task PushBlobAsync(HttpClient http, string repository, string file, string digest)
    {
        using var start = await http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        start.EnsureSuccessStatusCode();
        var location = start.Headers.Location!.ToString();
        await using var body = File.OpenRead(file);
        using var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var patch = await http.PatchAsync(location, content);
        patch.EnsureSuccessStatusCode();
        var next = patch.Headers.Location!.ToString();
        using var put = await http.PutAsync(next + (next.Contains('?') ? "&" : "?") + "digest=" + digest, null);
        put.EnsureSuccessStatusCode();
    }

    private static async Task PullBlobAsync(HttpClient http, string repository, string digest)
    {
        using var response = await http.GetAsync($"/v2/{repository}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var total = 0L;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0) total += read;
        if (total != BlobSize) throw new InvalidOperationException($"pulled {total} bytes of {BlobSize}");
    }

    private static async Task<string> WriteRandomAsync(string path, int size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = File.Create(path);
        var buffer = new byte[1 << 20];
        var random = new Random(256);
        for (var written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            hash.AppendData(buffer);
            await file.WriteAsync(buffer);
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }
}
