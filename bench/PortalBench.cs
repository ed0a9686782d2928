using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Wharf.Tests.E2E.Infrastructure;

namespace Wharf.Bench;

/// <summary>
/// bench/portal.sh: the portal at scale in Chromium. 300 repositories; one of them with 2,000 tags; one layer shared
/// by 4,000 manifests. Measures the time until a page is usable (its table shows rows) and each sort or page change,
/// and prints them beside the targets (1 s to usable, 300 ms per change) with the ratio. With <c>--sql</c>, Wharf logs
/// every database command and the table adds how many each step ran and their time (the logging itself slows Wharf:
/// compare those runs with each other, not with runs without it).
/// </summary>
public static class PortalBench
{
    private const string Password = "bench-admin-password";

    public static async Task<int> RunAsync(int rounds, bool sql)
    {
        using var temp = new TempDirectory("wharf-portal-bench");
        await using var wharf = await WharfProcess.StartAsync(temp.Combine("wharf"), new Dictionary<string, string>
        {
            ["Wharf__Auth__Mode"] = "none", // seeding through /v2 without tokens; the portal still signs in
            ["WHARF_ADMIN_USER"] = "admin",
            ["WHARF_ADMIN_PASSWORD"] = Password,
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command"] = sql ? "Information" : "Warning",
        });
        Server = wharf;
        var watch = Stopwatch.StartNew();
        var layer = await SeedAsync(wharf.HostPort);
        Console.WriteLine($"seeded 300 repositories, 4,000 manifests sharing one layer, 2,000 tags in big/app in {watch.Elapsed.TotalSeconds:F0} s");

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.SignInAsync(wharf.BaseUrl, "admin", Password);
        var results = new List<(string Metric, double Ms, double Target, int Commands, double CommandMs)>();
        for (var round = 0; round < rounds; round++)
        {
            results.Add(Measured("repositories: usable", await TimeAsync(async () =>
            {
                await page.GotoAsync("/repositories");
                await page.Locator("#repositories a.repository-link").First.WaitForAsync();
            }), 1000, sql));
            results.Add(Measured("repositories: sort by size", await ChangeAsync(page, "#repositories", () => page.Locator("#repositories th:has-text('Size') .column-header").ClickAsync()), 300, sql));
            results.Add(Measured("repositories: next page", await ChangeAsync(page, "#repositories", () => page.Locator("#repositories button[aria-label='Next page']").ClickAsync()), 300, sql));
            results.Add(Measured("2,000 tags: usable", await TimeAsync(async () =>
            {
                await page.GotoAsync("/repository?name=big/app");
                await page.Locator("#tags a.tag-link").First.WaitForAsync();
            }), 1000, sql));
            results.Add(Measured("2,000 tags: sort by tag", await ChangeAsync(page, "#tags", () => page.Locator("#tags th:has-text('Tag') .column-header").ClickAsync()), 300, sql));
            results.Add(Measured("2,000 tags: next page", await ChangeAsync(page, "#tags", () => page.Locator("#tags button[aria-label='Next page']").ClickAsync()), 300, sql));
            results.Add(Measured("layer in 4,000 manifests: usable", await TimeAsync(async () =>
            {
                await page.GotoAsync($"/blob?digest={Uri.EscapeDataString(layer)}");
                await page.Locator("#blob-uses tbody tr").First.WaitForAsync();
            }), 1000, sql));
            results.Add(Measured("layer in 4,000 manifests: next page", await ChangeAsync(page, "#blob-uses", () => page.Locator("#blob-uses button[aria-label='Next page']").ClickAsync()), 300, sql));
            results.Add(Measured("sharing, 299 repositories: usable", await TimeAsync(async () =>
            {
                await page.GotoAsync("/sharing?repository=big/app");
                await page.Locator("#shared-with a.shared-with-link").First.WaitForAsync();
            }), 1000, sql));
            results.Add(Measured("sharing, 299 repositories: next page", await ChangeAsync(page, "#shared-with", () => page.Locator("#shared-with button[aria-label='Next page']").ClickAsync()), 300, sql));
            results.Add(Measured("overview: usable", await TimeAsync(async () =>
            {
                await page.GotoAsync("/");
                await page.Locator("#total-repositories").WaitForAsync();
            }), 1000, sql));
        }
        Console.WriteLine($"{"metric (median of " + rounds + ")",-40} {"wharf ms",10} {"target ms",10} {"wharf/target",13}" + (sql ? $" {"db commands",12} {"db ms",8}" : ""));
        foreach (var group in results.GroupBy(r => r.Metric))
        {
            var median = group.Select(g => g.Ms).Order().ElementAt(group.Count() / 2);
            var target = group.First().Target;
            var commands = sql ? $" {group.Select(g => g.Commands).Order().ElementAt(group.Count() / 2),12} {group.Select(g => g.CommandMs).Order().ElementAt(group.Count() / 2),8:F0}" : "";
            Console.WriteLine($"{group.Key,-40} {median,10:F0} {target,10:F0} {median / target,13:F2}{commands}");
        }
        Console.WriteLine(browser.Errors.Count == 0 ? "no browser errors" : "browser errors:\n" + string.Join("\n", browser.Errors));
        return 0;
    }

    private static WharfProcess? Server;

    /// <summary>One step's time, with the database commands Wharf logged meanwhile (with <c>--sql</c>).</summary>
    private static (string, double, double, int, double) Measured(string metric, double ms, double target, bool sql) =>
        (metric, ms, target, sql ? LastCommands.Count : 0, sql ? LastCommands.Ms : 0);

    private static (int Count, double Ms) LastCommands;

    private static (int, double) CommandsFrom(int line)
    {
        var times = Server!.LogLinesFrom(line).Select(l => ExecutedCommand.Match(l)).Where(m => m.Success).Select(m => double.Parse(m.Groups[1].Value)).ToList();
        return (times.Count, times.Sum());
    }

    private static readonly System.Text.RegularExpressions.Regex ExecutedCommand = new(@"Executed DbCommand \((\d+)ms\)");

    /// <summary>Time from the action until the table's first row differs from before.</summary>
    private static async Task<double> ChangeAsync(IPage page, string table, Func<Task> action)
    {
        var before = await page.Locator($"{table} tbody tr").First.InnerTextAsync();
        return await TimeAsync(async () =>
        {
            await action();
            await page.WaitForFunctionAsync("([sel, old]) => { const r = document.querySelector(sel + ' tbody tr'); return r && r.innerText !== old; }",
                new object[] { table, before });
        });
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var line = Server!.LogLineCount;
        var watch = Stopwatch.StartNew();
        await action();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        // Commands a render started that finish just after the table shows are counted with the next step.
        LastCommands = CommandsFrom(line);
        return elapsed;
    }

    /// <summary>Pushes the data through /v2: one shared layer; 4,000 manifests (own tiny config each) over 300 repositories; 2,000 tags in big/app.</summary>
    private static async Task<string> SeedAsync(string hostPort)
    {
        using var http = new RegistryHttp(hostPort);
        var layer = Encoding.UTF8.GetBytes(new string('l', 4096));
        var layerDigest = RegistryHttp.Sha256(layer);
        var repositories = Enumerable.Range(0, 300).Select(i => i == 0 ? "big/app" : $"team{i % 20}/service{i}").ToList();
        foreach (var repository in repositories) await PushBlobAsync(http, repository, layer);
        var jobs = Enumerable.Range(0, 4000).Select(i => (Repository: i < 2000 ? "big/app" : repositories[1 + i % 299], Index: i));
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (job, _) =>
        {
            var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{{\"Env\":[\"N={job.Index}\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}");
            await PushBlobAsync(http, job.Repository, config);
            var manifest = Encoding.UTF8.GetBytes($$"""
                {"schemaVersion":2,"mediaType":"{{OciLayout.ManifestType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{RegistryHttp.Sha256(config)}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}
                """);
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestType);
            using var put = await http.Client.PutAsync($"/v2/{job.Repository}/manifests/v{job.Index:D4}", content);
            put.EnsureSuccessStatusCode();
        });
        return layerDigest;
    }

    private static async Task PushBlobAsync(RegistryHttp http, string repository, byte[] blob)
    {
        using var post = await http.Client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={Uri.EscapeDataString(RegistryHttp.Sha256(blob))}", new ByteArrayContent(blob));
        post.EnsureSuccessStatusCode();
    }
}
