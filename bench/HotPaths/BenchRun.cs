using System.Security.Cryptography;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench.HotPaths;

/// <summary>What every workload of one run shares: sizes, the two registries and nginx, the seeded data, the table.</summary>
public sealed class BenchRun(BenchSizes sizes, TempDirectory temp, Registry wharf, Registry reference, NginxServer nginx, ListingData.Image seeded, ResultTable table)
{
    public BenchSizes Sizes { get; } = sizes;
    public TempDirectory Temp { get; } = temp;
    public Registry Wharf { get; } = wharf;
    public Registry Reference { get; } = reference;
    public Registry[] Registries => [Wharf, Reference];
    public NginxServer Nginx { get; } = nginx;
    public ListingData.Image Seeded { get; } = seeded;
    public ResultTable Table { get; } = table;

    public const string ManifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>A file of pseudo-random bytes (incompressible, distinct per seed) and its digest.</summary>
    public static string WriteRandomFile(string path, long size, int seed)
    {
        var block = new byte[1 << 20];
        var random = new Random(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var output = File.Create(path))
        {
            for (long done = 0; done < size; done += block.Length)
            {
                random.NextBytes(block);
                var n = (int)Math.Min(block.Length, size - done);
                output.Write(block, 0, n);
                hash.AppendData(block, 0, n);
            }
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
